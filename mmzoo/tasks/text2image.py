"""``text2image``: prompt -> image; image + prompt -> edited image; image + mask + prompt -> inpainted.

The task picks the seeds (a random one when none is given; image ``i`` of a run gets ``seed + i``,
as the popular web UIs do), so every image can be made again alone from its own seed. With
``rerank_with`` (a retrieval model), each prompt's images come back best first, scored by
CLIPScore against the prompt (the ruDALL-E recipe: sample many, keep the best). Saved PNGs carry
their generation parameters (:mod:`.generation_parameters`).
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from ..errors import InvalidInput
from ..media import check_int, check_text, load_image
from .base import Input, Model, Task, accepted_options, as_batch, call_with_options, output_paths, unbatch
from .generation_parameters import infotext, png_info

if TYPE_CHECKING:
    from PIL import Image as PILImage

    from .tab import TabContext

MODES = ("generate", "edit", "inpaint")
MAX_IMAGES = 16  # images per run
MAX_SEED = 2**32 - 1


@dataclass
class GeneratedImage:
    image: PILImage.Image
    prompt: str
    mode: str = "generate"
    seed: int | None = None
    #: what made it, as the model used it: model, revision, steps, guidance_scale, scheduler,
    #: negative_prompt, strength, width, height (the keys a model has)
    parameters: dict[str, Any] = field(default_factory=dict)
    score: float | None = None  # similarity to the prompt, when the run was re-ranked

    @property
    def infotext(self) -> str:
        """The generation parameters in the web UIs' text format (what the saved PNG carries)."""
        return infotext(self.prompt, self.seed, self.mode, self.parameters)

    def save(self, path: str | Path) -> Path:
        """Write a PNG with the ``parameters`` text chunk."""
        self.image.save(path, format="PNG", pnginfo=png_info(self.infotext))
        return Path(path)

    def to_dict(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "mode": self.mode, "seed": self.seed, "size": list(self.image.size),
                "parameters": self.parameters, "score": self.score}


class TextToImageModel(Model):
    """Interface of image generators. ``modes`` says which of generate/edit/inpaint it does.

    ``generate`` makes one image per prompt, image ``i`` from ``seeds[i]`` (the same seed gives the
    same image). ``images`` and ``masks`` are None or aligned with ``prompts``; a mask is mode "L",
    white = repaint. A model that denoises step by step may also take ``progress`` (called as
    ``progress(step, total)`` after each step of the batch) and ``stop`` (a ``threading.Event``:
    when it is set, stop and raise :class:`mmzoo.errors.Cancelled`). Its own options (steps,
    guidance_scale, negative_prompt, scheduler, strength, width, height, ...) are keyword-only.
    """

    modes: ClassVar[tuple[str, ...]] = ("generate",)
    schedulers: ClassVar[tuple[str, ...]] = ()  # names its ``scheduler=`` option takes

    def generate(self, prompts: list[str], *, seeds: list[int], images: list[PILImage.Image] | None = None,
                 masks: list[PILImage.Image] | None = None) -> list[GeneratedImage]:
        raise NotImplementedError


class TextToImageTask(Task):
    id = "text2image"
    title = "Text to image"
    summary = "Generate an image from a prompt; edit or inpaint one."
    interface = TextToImageModel
    method = "generate"
    output_suffix = ".png"
    inputs = (
        Input("prompt", "text", "what to draw", positional=True),
        Input("image", "image", "image to edit (edit/inpaint)", required=False),
        Input("mask", "image", "mask of the region to repaint, white = repaint (inpaint)", required=False),
        Input("seed", "int", "random seed (default: a random one; image i gets seed + i)", required=False,
              bounds=(0, MAX_SEED)),
        Input("num_images", "int", "images per prompt", required=False, bounds=(1, MAX_IMAGES)),
        Input("rerank_with", "retrieval_model", "retrieval model id: return each prompt's images best first, "
              "scored by CLIPScore (e.g. retrieve/shapes-minilm-cnn)", required=False),
    )

    def run(self, model: TextToImageModel, prompt: Any, *, image: Any = None, mask: Any = None,
            seed: int | None = None, num_images: int = 1, rerank_with: Any = None,
            progress: Callable[[int, int], None] | None = None, stop: threading.Event | None = None,
            **options: Any) -> GeneratedImage | list[GeneratedImage]:
        """One image for one prompt; a list for a list of prompts or ``num_images`` > 1.

        ``rerank_with``: a loaded retrieval model (``mmzoo.run`` loads it from its id)."""
        prompts, was_list = as_batch(prompt, check_text, "prompt")
        num_images = check_int("num_images", num_images, 1, MAX_IMAGES)
        seed = secrets.randbelow(MAX_SEED - MAX_IMAGES) if seed is None else check_int("seed", seed, 0, MAX_SEED)
        prompts = [p for p in prompts for _ in range(num_images)]
        options["seeds"] = [(seed + i) % (MAX_SEED + 1) for i in range(len(prompts))]
        mode = "inpaint" if mask is not None else "edit" if image is not None else "generate"
        if mask is not None and image is None:
            raise InvalidInput("a mask needs the image it applies to (image=...)")
        if mode not in model.modes:
            raise InvalidInput(f"{model.spec.id if model.spec else model} cannot {mode}; it can: {', '.join(model.modes)}")
        if image is not None:
            init = load_image(image)
            options["images"] = [init] * len(prompts)
            if mask is not None:
                mask_image = load_image(mask, mode="L")
                if mask_image.size != init.size:
                    raise InvalidInput(f"mask is {mask_image.size[0]}x{mask_image.size[1]} but the image is "
                                       f"{init.size[0]}x{init.size[1]}")
                options["masks"] = [mask_image] * len(prompts)
        accepted = accepted_options(model.generate)
        for name, hook in (("progress", progress), ("stop", stop)):  # only to models that take them
            if hook is not None and (accepted is None or name in accepted):
                options[name] = hook
        results = call_with_options(model.generate, prompts, **options)
        if rerank_with is not None:
            results = rerank(results, rerank_with, num_images)
        return unbatch(results, was_list or num_images > 1)

    def save(self, result: Any, path: Path) -> list[Path]:
        if path.suffix == ".json":
            return super().save(result, path)
        results = result if isinstance(result, list) else [result]
        paths = output_paths(path, len(results))
        for r, p in zip(results, paths):
            r.save(p)
        return paths

    def build_tab(self, ui: TabContext) -> None:
        from .text2image_tab import build_tab

        build_tab(ui)


def rerank(results: list[GeneratedImage], model: Any, per_prompt: int) -> list[GeneratedImage]:
    """Score every image against its prompt (CLIPScore with ``model``) and sort each prompt's
    ``per_prompt`` images best first (stable: equal scores keep their seed order)."""
    from ..eval.image import clip_score

    if not (hasattr(model, "embed_images") and hasattr(model, "embed_texts")):
        raise InvalidInput(f"rerank_with needs a retrieval model (one that embeds texts and images), "
                           f"not {model.spec.id if getattr(model, 'spec', None) else model!r}")
    for result, score in zip(results, clip_score(model, [r.image for r in results], [r.prompt for r in results])):
        result.score = score
    groups = [results[i:i + per_prompt] for i in range(0, len(results), per_prompt)]
    return [r for group in groups for r in sorted(group, key=lambda r: -(r.score or 0.0))]
