"""Stable Diffusion 1.x through diffusers: generate, edit (img2img) and inpaint from one set of weights.

The pipeline loads once (``AutoPipelineForText2Image``); the edit and inpaint pipelines are made
from it with ``from_pipe``, so the three share the UNet, VAE, text encoder, tokenizer and safety
checker (no copy in memory). Each image has its own ``torch.Generator`` seeded with its seed: an
image is the same whether it is made alone or in a batch, and the batch is one pipeline call.

Load options: ``weights=`` (a ``save_pretrained`` folder, instead of the pinned hub snapshot),
``device=`` (CUDA when there is one), ``dtype=`` (float32 on CPU, float16 on CUDA by default),
``safety_checker=False`` (skip the checker the repository ships), ``cpu_offload=True`` (CUDA only:
diffusers' ``enable_model_cpu_offload``, each component on the GPU only while it runs; needs accelerate).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from typing import TYPE_CHECKING, Any, Callable

from mmzoo.devices import resolve_device
from mmzoo.errors import Cancelled, InvalidInput, MissingDependency, WeightsUnavailable
from mmzoo.media import check_float, check_int
from mmzoo.tasks.text2image import MODES, GeneratedImage, TextToImageModel
from mmzoo.weights import download_fix, first_line

from . import schedulers as samplers  # (the class attribute `schedulers` lists their names)
from .catalog import CATALOG
from .hub import LOCAL, fetch, locate, size_mb

if TYPE_CHECKING:
    from PIL import Image as PILImage

MIN_SIZE, MAX_SIZE, MULTIPLE = 64, 2048, 8  # pixels: the VAE works on 8x8 blocks
MAX_STEPS = 150
DTYPES = {"float32": "float32", "fp32": "float32", "float16": "float16", "fp16": "float16", "half": "float16",
          "bfloat16": "bfloat16", "bf16": "bfloat16"}


class StableDiffusion(TextToImageModel):
    """A Stable Diffusion 1.x pipeline of the catalog; subclasses name it with ``model_id``."""

    model_id: str
    modes = MODES
    schedulers = samplers.NAMES

    def __init__(self, *, weights: str | os.PathLike | None = None, device: str | None = None,
                 dtype: str | None = None, safety_checker: bool = True, cpu_offload: bool = False) -> None:
        folder = locate(self.model_id, weights)  # first: missing weights fail before seconds of imports
        import torch
        from diffusers import AutoPipelineForImage2Image, AutoPipelineForInpainting, AutoPipelineForText2Image

        self.device = resolve_device(device)
        cuda = self.device.startswith("cuda")
        self.dtype = getattr(torch, _dtype(dtype, cuda))
        if cpu_offload:
            _check_offload(cuda)
        self.revision = None if weights is not None else CATALOG[self.model_id].revision
        # Without its checker, say so to diffusers too: otherwise it warns on every load.
        checker = {} if safety_checker else {"safety_checker": None, "requires_safety_checker": False}
        try:
            pipe = AutoPipelineForText2Image.from_pretrained(folder, dtype=self.dtype, use_safetensors=True, **checker)
        except (OSError, ValueError) as exc:  # a partial snapshot, or a folder of another kind of pipeline
            raise WeightsUnavailable(f"{self.model_id}: cannot load {folder}: {first_line(exc)}; "
                                     f"{download_fix(self.model_id, CATALOG[self.model_id].size_mb, LOCAL)}") from None
        if not cpu_offload:
            pipe.to(self.device)
        self._pipes = {"generate": pipe, "edit": AutoPipelineForImage2Image.from_pipe(pipe),
                       "inpaint": AutoPipelineForInpainting.from_pipe(pipe)}
        for each in self._pipes.values():
            each.set_progress_bar_config(disable=True)
            if cpu_offload:  # each pipeline re-arms its own hooks after every call
                each.enable_model_cpu_offload(device=self.device)
        self._shipped = pipe.scheduler
        self._samplers: dict[str, Any] = {}
        self._lock = threading.Lock()  # a pipeline call is not re-entrant (scheduler state)

    @classmethod
    def download(cls, spec: Any) -> str:
        """Fetch the pinned revision into the Hugging Face cache (``mmzoo download MODEL``)."""
        folder = fetch(spec.id, spec.weights.repo, spec.weights.revision)
        return f"{spec.id}: {spec.weights.repo}@{spec.weights.revision} cached at {folder} ({size_mb(folder):.0f} MB)"

    @property
    def components(self) -> dict[str, Any]:
        """The pipeline's components (unet, vae, text_encoder, ...), shared by the three modes."""
        return self._pipes["generate"].components

    def generate(self, prompts: list[str], *, seeds: list[int], images: list[PILImage.Image] | None = None,
                 masks: list[PILImage.Image] | None = None, progress: Callable[[int, int], None] | None = None,
                 stop: threading.Event | None = None, negative_prompt: str | list[str] | None = None,
                 steps: int = 25, guidance_scale: float = 7.5, width: int | None = None, height: int | None = None,
                 scheduler: str = samplers.DEFAULT, strength: float = 0.75) -> list[GeneratedImage]:
        """One image per prompt, image ``i`` from ``seeds[i]``; ``images`` (edit) and ``masks`` (inpaint,
        white = repaint) aligned with the prompts. Options are checked before any work."""
        import torch

        steps = check_int("steps", steps, 1, MAX_STEPS)
        guidance_scale = check_float("guidance_scale", guidance_scale, 0.0, 30.0)
        strength = check_float("strength", strength, 0.0, 1.0)
        sampler = self._sampler(scheduler)
        negative = _negatives(negative_prompt, len(prompts))
        if len(seeds) != len(prompts):
            raise InvalidInput(f"{len(seeds)} seeds for {len(prompts)} prompts; give one seed per prompt")
        mode = "inpaint" if masks else "edit" if images else "generate"
        pipe = self._pipes[mode]
        call: dict[str, Any] = {"prompt": list(prompts), "negative_prompt": negative, "num_inference_steps": steps,
                                "guidance_scale": guidance_scale}
        if mode == "generate":
            default = pipe.unet.config.sample_size * pipe.vae_scale_factor
            width, height = _size("width", width or default), _size("height", height or default)
            call.update(width=width, height=height)
        else:
            if int(steps * strength) < 1:
                raise InvalidInput(f"strength {strength:g} x {steps} steps leaves no denoising step; "
                                   f"raise strength or steps")
            width, height, fitted = _fit(images, width, height)
            call.update(image=fitted, strength=strength)
            if mode == "inpaint":
                call.update(mask_image=[m.convert("L").resize((width, height), 0) for m in masks], width=width,
                            height=height)
        if progress is not None or stop is not None:
            call["callback_on_step_end"] = _on_step(progress, stop)
        if stop is not None and stop.is_set():
            raise Cancelled("stopped before the first step")
        with self._lock:
            pipe.scheduler = sampler
            call["generator"] = [torch.Generator().manual_seed(int(seed)) for seed in seeds]
            output = pipe(**call)
        parameters = {"model": self.model_id, "revision": self.revision, "steps": steps,
                      "guidance_scale": guidance_scale, "scheduler": scheduler if scheduler != samplers.DEFAULT else samplers.name_of(sampler),
                      "negative_prompt": negative_prompt, "width": width, "height": height,
                      **({} if mode == "generate" else {"strength": strength}),
                      "safety_checker": pipe.safety_checker is not None}
        flagged = output.nsfw_content_detected or [None] * len(prompts)
        return [GeneratedImage(image, prompt, mode, int(seed),
                               {**parameters, **({} if flag is None else {"nsfw_content_detected": bool(flag)})})
                for image, prompt, seed, flag in zip(output.images, prompts, seeds, flagged)]

    def _sampler(self, name: str) -> Any:
        if name not in self._samplers:
            self._samplers[name] = samplers.make(name, self._shipped)
        return self._samplers[name]

    def close(self) -> None:
        self._pipes = {}
        if self.device.startswith("cuda"):
            import torch

            torch.cuda.empty_cache()


class StableDiffusion15(StableDiffusion):
    model_id = "text2image/sd-1.5"


class BkSdmTiny(StableDiffusion):
    model_id = "text2image/bk-sdm-tiny"


# -- options -------------------------------------------------------------------------------------


def _on_step(progress: Callable[[int, int], None] | None, stop: threading.Event | None) -> Callable[..., Any]:
    """diffusers' ``callback_on_step_end``: report the step; when ``stop`` is set, end the run there.

    Raising from the callback ends the call at once, so no half-denoised latents are decoded (the
    pipeline's ``_interrupt`` flag would skip the remaining steps but still decode and return them)."""
    def on_step(pipe: Any, step: int, timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
        if progress is not None:
            progress(step + 1, pipe.num_timesteps)
        if stop is not None and stop.is_set():
            raise Cancelled(f"stopped after step {step + 1} of {pipe.num_timesteps}")
        return tensors

    return on_step


def _size(name: str, value: Any) -> int:
    pixels = check_int(name, value, MIN_SIZE, MAX_SIZE)
    if pixels % MULTIPLE:
        raise InvalidInput(f"{name} must be a multiple of {MULTIPLE} (the VAE works on 8x8 blocks), got {pixels}")
    return pixels


def _fit(images: list[Any], width: Any, height: Any) -> tuple[int, int, list[Any]]:
    """The size to edit at (``width`` x ``height``, else the images' own, rounded down to multiples of 8)
    and the images at that size (one pipeline call needs one size)."""
    sizes = {image.size for image in images}
    if len(sizes) > 1 and not (width and height):
        raise InvalidInput(f"images of one call must share a size (got {', '.join(f'{w}x{h}' for w, h in sizes)}); "
                           f"pass width= and height= to resize them")
    w, h = next(iter(sizes))
    width = _size("width", width or w // MULTIPLE * MULTIPLE)
    height = _size("height", height or h // MULTIPLE * MULTIPLE)
    rgb = [image.convert("RGB") for image in images]
    return width, height, [i if i.size == (width, height) else i.resize((width, height), 3) for i in rgb]  # bicubic


def _negatives(negative_prompt: Any, count: int) -> list[str] | None:
    if negative_prompt is None:
        return None
    if isinstance(negative_prompt, str):
        return [negative_prompt] * count
    if isinstance(negative_prompt, (list, tuple)) and len(negative_prompt) == count and all(
            isinstance(n, str) for n in negative_prompt):
        return list(negative_prompt)
    raise InvalidInput(f"negative_prompt must be a string or a list of {count} strings (one per prompt)")


def _dtype(dtype: Any, cuda: bool) -> str:
    if dtype is None:
        return "float16" if cuda else "float32"
    name = DTYPES.get(str(dtype).removeprefix("torch."))
    if name is None:
        raise InvalidInput(f"unsupported dtype {dtype!r}; use float32, float16 (CUDA) or bfloat16")
    if name == "float16" and not cuda:
        raise InvalidInput("float16 runs on CUDA only (CPUs lack fast half-precision kernels); on a CPU use "
                           "float32 (the default) or bfloat16")
    return name


def _check_offload(cuda: bool) -> None:
    if not cuda:
        raise InvalidInput("cpu_offload=True needs a CUDA GPU (it moves each component to the GPU while it runs); "
                           "on a CPU leave it off")
    if importlib.util.find_spec("accelerate") is None:
        raise MissingDependency("cpu_offload=True needs accelerate: pip install 'mmzoo-diffusers[offload]'")
