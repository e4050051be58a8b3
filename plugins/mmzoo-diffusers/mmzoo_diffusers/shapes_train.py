"""``mmzoo train text2image``: the Shapes diffusion model (:mod:`.shapes`) on :mod:`mmzoo.train`.

Training scenes hold one or two shapes of the Shapes world at 64 px, none of them a pair in
:data:`mmzoo.data.shapes.HELD_OUT_PAIRS`; each epoch words every scene's prompt afresh ("a red
circle", "a large red circle", "a red circle and a small blue star", either order), and one
prompt in ten is left empty (for classifier-free guidance). Validation: a fixed batch's loss (the
same noise and timesteps each epoch; it picks ``best/``) and the colour of samples of single-object
prompts, guessed from the pixels least like the background (a quick check; `mmzoo eval text2image` judges
properly), with a grid of those samples saved as ``samples.png`` in each epoch's folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import click
import numpy as np
import torch

from mmzoo.data.shapes import COLOURS, HELD_OUT_PAIRS, SHAPES, Scene, random_scene, render
from mmzoo.errors import InvalidInput
from mmzoo.train import Recipe, fit, loop_options
from mmzoo.train import TrainConfig as BaseConfig

from .shapes import IMAGE_SIZE, PromptEncoder, ShapesDiffusion, unet_config

DROP_PROMPT = 0.1
VALIDATION_PROMPTS = [f"a {c} {s}" for c, s in zip(COLOURS, SHAPES + SHAPES[:1])]  # 8 colours, every shape


@dataclass
class TrainConfig(BaseConfig):
    epochs: int = 20
    batch_size: int = 32
    lr: float = 3e-4
    optimizer: str = "adamw"
    grad_clip: float | None = 1.0


def training_scenes(n: int, seed: int, max_objects: int = 2) -> list[Scene]:
    """``n`` scenes of 1..``max_objects`` shapes at 64 px, none holding a held-out colour-shape pair."""
    scenes: list[Scene] = []
    held_out = set(HELD_OUT_PAIRS)
    index = 0
    while len(scenes) < n:
        rng = np.random.default_rng([seed, index])
        index += 1
        scene = random_scene(rng, IMAGE_SIZE)
        scene.objects = scene.objects[:int(rng.integers(1, max_objects + 1))]
        if not any((o.colour, o.shape) in held_out for o in scene.objects):
            scenes.append(scene)
    return scenes


def phrase(obj: Any, with_size: bool) -> str:
    return f"a {obj.size + ' ' if with_size else ''}{obj.colour} {obj.shape}"


def prompt_of(scene: Scene, draws: Sequence[float]) -> str:
    """One wording of the scene, chosen by three uniform draws (sizes or not, order, empty)."""
    if draws[2] < DROP_PROMPT:
        return ""
    objects = list(scene.objects) if draws[1] < 0.5 else list(reversed(scene.objects))
    return " and ".join(phrase(o, draws[0] < 0.5) for o in objects)


def object_colour(image: torch.Tensor) -> str:
    """The colour name nearest to the median of the 3% of pixels farthest from the background (the
    image's median colour): a quick guess at the colour of what was drawn."""
    pixels = ((image.permute(1, 2, 0).reshape(-1, 3) + 1) * 127.5).cpu().numpy()
    distance = np.linalg.norm(pixels - np.median(pixels, axis=0), axis=1)
    drawn = np.median(pixels[distance >= np.quantile(distance, 0.97)], axis=0)
    return min(COLOURS, key=lambda name: float(np.linalg.norm(drawn - np.array(COLOURS[name]))))


class ShapesDiffusionRecipe(Recipe):
    metric = "val_loss"

    def __init__(self, model: ShapesDiffusion, scenes: Sequence[Scene], device: torch.device,
                 validation: int = 64) -> None:
        self.model, self.device = model.to(device), device
        self.scenes = list(scenes)
        self.pixels = torch.stack([torch.from_numpy(np.array(render(s))) for s in self.scenes])  # uint8, once
        self.text = PromptEncoder(device)
        self.empty = self.text([""])
        self.samples = list(range(len(self.scenes) - validation))
        self.held = list(range(len(self.scenes) - validation, len(self.scenes)))  # the fixed validation batch
        self.grid: Any = None

    def batch_pixels(self, rows: Sequence[int]) -> torch.Tensor:
        return (self.pixels[list(rows)].permute(0, 3, 1, 2).float().to(self.device) / 127.5) - 1

    def loss(self, batch: list[int]) -> torch.Tensor:
        draws = torch.rand(len(batch), 3).tolist()
        text = self.text([prompt_of(self.scenes[i], d) for i, d in zip(batch, draws)])
        return self.model.loss(self.batch_pixels(batch), text)

    def validate(self) -> dict[str, float]:
        state = torch.random.get_rng_state()
        torch.manual_seed(1234)  # the same noise, timesteps and wordings every epoch
        val_loss = self.loss(self.held).item()
        generators = [torch.Generator().manual_seed(i) for i in range(len(VALIDATION_PROMPTS))]
        images = self.model.sample(self.text(VALIDATION_PROMPTS), self.empty, generators, steps=20)
        torch.random.set_rng_state(state)
        right = [object_colour(img) == p.split()[1] for img, p in zip(images, VALIDATION_PROMPTS)]
        self.grid = images
        return {"val_loss": val_loss, "colour_check": sum(right) / len(right)}

    def save(self, folder: Path) -> None:
        from PIL import Image

        self.model.save(folder)
        if self.grid is not None:
            tiles = ((self.grid.permute(0, 2, 3, 1) + 1) * 127.5).round().byte().cpu().numpy()
            Image.fromarray(np.concatenate(list(tiles), axis=1)).save(folder / "samples.png")

    def restore(self, folder: Path) -> None:
        from mmzoo.train.checkpoint import load_weights

        load_weights(folder, self.model.unet)

    def settings(self) -> dict[str, Any]:
        return {"unet": self.model.config, "scenes": len(self.scenes)}


@click.command("text2image", context_settings={"show_default": True})
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Run folder: epoch-N/ (with samples.png), best/, last/, history.json; an existing run resumes.")
@click.option("--scenes", type=int, default=16_000, help="Training scenes (1-2 shapes each, 64 px).")
@click.option("--channels", default="64,128,256", help="UNet channels per resolution.")
@click.option("--fold", type=int, default=4, help="Pixels folded into channels (64 px / fold = the UNet's size).")
@loop_options(TrainConfig, scheduler=True)
@click.option("--init", type=click.Path(exists=True, file_okay=False),
              help="Start from this checkpoint (its UNet; --channels and --fold are then ignored): a second stage.")
def train_command(out: str, scenes: int, channels: str, fold: int, init: str | None, **settings: Any) -> None:
    """Train the Shapes text-to-image diffusion model (load it with weights=OUT/best)."""
    try:
        config = TrainConfig(**settings)
        widths = tuple(int(c) for c in channels.split(","))
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    torch.manual_seed(config.seed)
    model = ShapesDiffusion.load(init).train() if init else ShapesDiffusion(unet_config(widths, fold))
    recipe = ShapesDiffusionRecipe(model, training_scenes(scenes, config.seed), config.torch_device())
    click.echo(f"{sum(p.numel() for p in model.unet.parameters()) / 1e6:.1f}M parameters, "
               f"{len(recipe.samples)} training scenes; run folder {out}", err=True)
    for record in fit(recipe, config, out):
        click.echo(json.dumps(record))
