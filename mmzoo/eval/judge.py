"""The Shapes judge: a small CNN that tells which colours, shapes and colour-shape pairs a 64 px
Shapes image shows, trained here on real renders, to score text-to-image models.

It has three multi-label heads: colours (8), shapes (7) and pairs (56, every colour-shape
combination, the held-out ones included: the judge must recognise what generators never saw
named). Trained through :mod:`mmzoo.train` on scenes of 1-2 shapes with light blur and noise
(generated images are softer than renders). Its own accuracy on fresh real renders is stored in
the checkpoint (``accuracy.json``) and reported by ``mmzoo eval text2image``.

Train it (the shipped weights in ``mmzoo/assets/shapes-judge`` came from this command)::

    OMP_NUM_THREADS=1 python -m mmzoo.eval.judge --out runs/shapes-judge --epochs 16 --seed 0
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..data.shapes import COLOURS, SHAPES, Scene, random_scene, render

SIZE = 64
COLOUR_NAMES = tuple(COLOURS)
PAIRS = tuple((c, s) for c in COLOUR_NAMES for s in SHAPES)
#: where each head ends in the network's output: colours, then shapes, then pairs
COLOUR_END, SHAPE_END = len(COLOUR_NAMES), len(COLOUR_NAMES) + len(SHAPES)
SHIPPED = Path(__file__).resolve().parent.parent / "assets" / "shapes-judge"
ACCURACY = "accuracy.json"


@dataclass(frozen=True)
class Verdict:
    """What the judge sees in one image: probabilities per colour, shape and pair."""

    colours: dict[str, float]
    shapes: dict[str, float]
    pairs: dict[tuple[str, str], float]

    @property
    def colour(self) -> str:
        return max(self.colours, key=self.colours.__getitem__)

    @property
    def shape(self) -> str:
        return max(self.shapes, key=self.shapes.__getitem__)

    def top_pairs(self, k: int) -> set[tuple[str, str]]:
        """The ``k`` colour-shape pairs the judge finds most likely."""
        return set(sorted(self.pairs, key=self.pairs.__getitem__)[-k:])


def _network() -> Any:
    from torch import nn

    def block(a: int, b: int) -> list[nn.Module]:
        return [nn.Conv2d(a, b, 3, stride=2, padding=1), nn.BatchNorm2d(b), nn.ReLU(inplace=True),
                nn.Conv2d(b, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU(inplace=True)]

    return nn.Sequential(*block(3, 32), *block(32, 64), *block(64, 128), *block(128, 192),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(192, len(COLOUR_NAMES) + len(SHAPES) + len(PAIRS)))


def targets(scene: Scene) -> np.ndarray:
    """Multi-hot labels (colours, shapes, pairs) of a scene."""
    label = np.zeros(SHAPE_END + len(PAIRS), np.float32)
    for obj in scene.objects:
        label[COLOUR_NAMES.index(obj.colour)] = 1
        label[COLOUR_END + SHAPES.index(obj.shape)] = 1
        label[SHAPE_END + PAIRS.index((obj.colour, obj.shape))] = 1
    return label


def scenes(n: int, seed: int, max_objects: int = 2) -> list[Scene]:
    """``n`` real scenes of 1..``max_objects`` shapes at 64 px, every colour-shape pair possible."""
    out = []
    for i in range(n):
        rng = np.random.default_rng([seed, i, 7])
        scene = random_scene(rng, SIZE)
        scene.objects = scene.objects[:int(rng.integers(1, max_objects + 1))]
        out.append(scene)
    return out


def to_batch(images: Sequence[Any]) -> Any:
    """PIL images (any size) -> a float tensor (N, 3, 64, 64) in [0, 1]."""
    import torch
    from PIL import Image

    arrays = [np.asarray(i.convert("RGB").resize((SIZE, SIZE), Image.BILINEAR), np.float32) / 255 for i in images]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


class ShapesJudge:
    """The trained judge: ``judge(images)`` -> one :class:`Verdict` per image."""

    def __init__(self, folder: str | Path = SHIPPED, device: str = "cpu") -> None:
        from ..train.checkpoint import load_weights

        self.folder = Path(folder)
        self.net = _network().to(device)
        load_weights(self.folder, self.net)
        self.net.eval()
        self.device = device
        path = self.folder / ACCURACY
        self.accuracy: dict[str, float] = json.loads(path.read_text()) if path.is_file() else {}

    def __call__(self, images: Sequence[Any], batch_size: int = 64) -> list[Verdict]:
        import torch

        verdicts = []
        with torch.inference_mode():
            for start in range(0, len(images), batch_size):
                probs = torch.sigmoid(self.net(to_batch(images[start:start + batch_size]).to(self.device))).cpu()
                for row in probs.numpy():
                    verdicts.append(Verdict(dict(zip(COLOUR_NAMES, row[:COLOUR_END].tolist())),
                                            dict(zip(SHAPES, row[COLOUR_END:SHAPE_END].tolist())),
                                            dict(zip(PAIRS, row[SHAPE_END:].tolist()))))
        return verdicts


def real_accuracy(judge: ShapesJudge, n: int = 1000, seed: int = 99) -> dict[str, float]:
    """The judge's own accuracy on fresh real renders: single objects (colour, shape) and two-object
    scenes (its two most likely pairs are the scene's two)."""
    single = scenes(n, seed, max_objects=1)
    verdicts = judge([render(s) for s in single])
    double = [s for s in scenes(2 * n, seed + 1) if len(s.objects) == 2][:n]
    both = judge([render(s) for s in double])
    exact = [{(o.colour, o.shape) for o in s.objects} == verdict.top_pairs(2) for s, verdict in zip(double, both)]
    return {"colour": float(np.mean([v.colour == s.objects[0].colour for s, v in zip(single, verdicts)])),
            "shape": float(np.mean([v.shape == s.objects[0].shape for s, v in zip(single, verdicts)])),
            "two_objects": float(np.mean(exact))}


def train(out: str | Path, scene_count: int = 12_000, epochs: int = 16, seed: int = 0, lr: float = 2e-3) -> Path:
    """Train the judge through :func:`mmzoo.train.fit`; returns the best checkpoint folder."""
    import torch
    import torch.nn.functional as F

    from ..train import Recipe, TrainConfig, fit, save_checkpoint

    data = scenes(scene_count, seed)
    pixels = to_batch([render(s) for s in data])
    labels = torch.from_numpy(np.stack([targets(s) for s in data]))
    val = scenes(500, seed + 1000, max_objects=1)
    val_pixels = to_batch([render(s) for s in val])
    val_truth = [(s.objects[0].colour, s.objects[0].shape) for s in val]

    class JudgeRecipe(Recipe):
        metric = "accuracy"

        def __init__(self) -> None:
            self.model = _network()
            self.samples = list(range(len(data)))

        def loss(self, batch: list[int]) -> torch.Tensor:
            x = pixels[batch]
            if torch.rand(()) < 0.5:  # soften like a generator's output: blur and noise
                x = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
            x = (x + 0.03 * torch.rand(()) * torch.randn_like(x)).clamp(0, 1)
            return F.binary_cross_entropy_with_logits(self.model(x), labels[batch])

        def validate(self) -> dict[str, float]:
            self.model.eval()
            with torch.no_grad():
                logits = self.model(val_pixels)
            colour = [COLOUR_NAMES[i] for i in logits[:, :COLOUR_END].argmax(1).tolist()]
            shape = [SHAPES[i] for i in logits[:, COLOUR_END:SHAPE_END].argmax(1).tolist()]
            right = [(a, b) == t for a, b, t in zip(colour, shape, val_truth)]
            return {"accuracy": float(np.mean(right))}

        def save(self, folder: Path) -> None:
            save_checkpoint(folder, self.model, {"model": "shapes-judge", "size": SIZE, "colours": COLOUR_NAMES,
                                                 "shapes": SHAPES})

    run = Path(out)
    fit(JudgeRecipe(), TrainConfig(epochs=epochs, batch_size=64, lr=lr, optimizer="adamw", scheduler="cosine",
                                   seed=seed, device="cpu"), run)
    best = run / "best"
    (best / ACCURACY).write_text(json.dumps(real_accuracy(ShapesJudge(best)), indent=2) + "\n")
    return best


def main(argv: Sequence[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m mmzoo.eval.judge", description="Train the Shapes judge.")
    parser.add_argument("--out", required=True)
    parser.add_argument("--scenes", type=int, default=12_000)
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    best = train(args.out, args.scenes, args.epochs, args.seed)
    print(best, (best / ACCURACY).read_text())


if __name__ == "__main__":
    main()
