"""A small text-conditional diffusion model of the Shapes world, trained here (``text2image/shapes-diffusion``).

The design, chosen to learn fast on a CPU:

- **Pixels, folded.** A 64 px RGB image is folded 4x4 into 48 channels at 16x16
  (``pixel_unshuffle``), so the UNet works at 16x16 yet every output pixel is its own.
- **Text.** all-MiniLM-L6-v2 (frozen, shipped in a package) gives token states for cross-attention
  and a mean-pooled sentence vector added to the timestep embedding (a global path that carries
  colour and shape early). Prompts are encoded once and cached.
- **Diffusion.** A diffusers ``UNet2DConditionModel``, v-prediction on a cosine schedule, min-SNR
  loss weights; DDIM sampling with classifier-free guidance (captions are dropped in training).
- **Three modes.** Generate; edit (SDEdit: noise the input part-way, then denoise); inpaint
  (at every step the region outside the mask is replaced by the input, noised to that step).

A checkpoint is ``config.json`` (the UNet config and the sampler's) + ``model.safetensors``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from mmzoo.errors import Cancelled, InvalidInput, WeightsUnavailable
from mmzoo.media import check_float, check_int, check_text
from mmzoo.pretrained import MINILM, mean_pool, text_source
from mmzoo.tasks.text2image import GeneratedImage, TextToImageModel

IMAGE_SIZE = 64
FOLD = 4  # pixel_unshuffle factor of the shipped model
MAX_TOKENS = 16
TEXT_DIM = 384


def unet_config(channels: tuple[int, ...] = (64, 128, 256), fold: int = FOLD) -> dict[str, Any]:
    """The UNet of the shipped model (``channels`` per resolution, from 64 / ``fold`` px down)."""
    return {
        "sample_size": IMAGE_SIZE // fold, "in_channels": 3 * fold * fold, "out_channels": 3 * fold * fold,
        "block_out_channels": list(channels), "layers_per_block": 1,
        "down_block_types": ["DownBlock2D"] + ["CrossAttnDownBlock2D"] * (len(channels) - 1),
        "up_block_types": ["CrossAttnUpBlock2D"] * (len(channels) - 1) + ["UpBlock2D"],
        "cross_attention_dim": TEXT_DIM, "attention_head_dim": 32, "norm_num_groups": 32,
        "class_embed_type": "projection", "projection_class_embeddings_input_dim": TEXT_DIM,
    }


SCHEDULE = {"num_train_timesteps": 1000, "beta_schedule": "squaredcos_cap_v2", "prediction_type": "v_prediction",
            "clip_sample": False}


class PromptEncoder:
    """Frozen MiniLM: (token states (N, 16, 384), attention mask (N, 16), pooled (N, 384)); cached per prompt."""

    def __init__(self, device: torch.device | str = "cpu") -> None:
        from transformers import AutoModel, AutoTokenizer

        folder = text_source(MINILM)
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.model = AutoModel.from_pretrained(folder).to(device).eval().requires_grad_(False)
        self.device = torch.device(device)
        self.cache: dict[str, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}

    @torch.no_grad()
    def __call__(self, prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        new = sorted({p for p in prompts if p not in self.cache})
        for start in range(0, len(new), 256):
            chunk = new[start:start + 256]
            batch = self.tokenizer(chunk, padding="max_length", truncation=True, max_length=MAX_TOKENS,
                                   return_tensors="pt").to(self.device)
            states = self.model(**batch).last_hidden_state
            pooled = F.normalize(mean_pool(states, batch["attention_mask"]), dim=-1)
            for i, prompt in enumerate(chunk):
                self.cache[prompt] = (states[i], batch["attention_mask"][i], pooled[i])
        rows = [self.cache[p] for p in prompts]
        return tuple(torch.stack(parts) for parts in zip(*rows))  # type: ignore[return-value]




class ShapesDiffusion(nn.Module):
    """The UNet, its noise schedule and the sampler (generate, edit, inpaint)."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        from diffusers import DDPMScheduler, UNet2DConditionModel

        super().__init__()
        self.config = dict(config or unet_config())
        self.unet = UNet2DConditionModel.from_config(self.config)
        self.schedule = DDPMScheduler(**SCHEDULE)
        self.factor = IMAGE_SIZE // self.config["sample_size"]

    def fold(self, pixels: torch.Tensor) -> torch.Tensor:
        """(N, 3, 64, 64) in [-1, 1] -> (N, 3 f^2, 64 / f, 64 / f): each f x f block of pixels as channels."""
        return F.pixel_unshuffle(pixels, self.factor)

    def unfold(self, sample: torch.Tensor) -> torch.Tensor:
        return F.pixel_shuffle(sample, self.factor)

    def forward(self, sample: torch.Tensor, timesteps: torch.Tensor, text: tuple[torch.Tensor, ...]) -> torch.Tensor:
        states, mask, pooled = text
        return self.unet(sample, timesteps, encoder_hidden_states=states, encoder_attention_mask=mask,
                         class_labels=pooled).sample

    def loss(self, pixels: torch.Tensor, text: tuple[torch.Tensor, ...], snr_gamma: float = 5.0) -> torch.Tensor:
        """v-prediction loss at random timesteps, weighted by min(SNR, gamma) / (SNR + 1) (min-SNR, Hang et al. 2023)."""
        clean = self.fold(pixels)
        noise = torch.randn_like(clean)
        t = torch.randint(0, self.schedule.config.num_train_timesteps, (len(clean),), device=clean.device)
        noisy = self.schedule.add_noise(clean, noise, t)
        target = self.schedule.get_velocity(clean, noise, t)
        alphas = self.schedule.alphas_cumprod.to(clean.device)[t]
        snr = alphas / (1 - alphas)
        weight = snr.clamp(max=snr_gamma) / (snr + 1)
        error = F.mse_loss(self(noisy, t, text), target, reduction="none").mean(dim=(1, 2, 3))
        return (weight * error).mean()

    @torch.no_grad()
    def sample(self, text: tuple[torch.Tensor, ...], empty: tuple[torch.Tensor, ...], generators: list[torch.Generator],
               steps: int = 25, guidance_scale: float = 3.0, init: torch.Tensor | None = None,
               mask: torch.Tensor | None = None, strength: float = 1.0,
               progress: Callable[[int, int], None] | None = None,
               stop: threading.Event | None = None) -> torch.Tensor:
        """Images (N, 3, 64, 64) in [-1, 1]. ``init`` (pixels) with ``strength`` < 1: edit from it;
        with ``mask`` (N, 1, 64, 64), 1 = repaint: inpaint it."""
        from diffusers import DDIMScheduler

        scheduler = DDIMScheduler(**SCHEDULE, set_alpha_to_one=True, timestep_spacing="trailing")
        scheduler.set_timesteps(steps)
        timesteps = scheduler.timesteps
        device = text[0].device
        shape = (self.config["in_channels"], self.config["sample_size"], self.config["sample_size"])
        noise = torch.stack([torch.randn(shape, generator=g) for g in generators]).to(device)
        known = self.fold(init) if init is not None else None
        keep = None if mask is None else 1 - self.fold(mask.expand(-1, 3, -1, -1))  # 1 = keep the input
        if known is not None and mask is None:  # edit: start part-way
            first = min(len(timesteps) - 1, int(round(len(timesteps) * (1 - strength))))
            timesteps = timesteps[first:]
            x = scheduler.add_noise(known, noise, timesteps[:1].repeat(len(known)))
        else:
            x = noise
        both = tuple(torch.cat([c, u.expand_as(c)]) for c, u in zip(text, empty))
        for i, t in enumerate(timesteps):
            if stop is not None and stop.is_set():
                raise Cancelled(f"stopped after {i} of {len(timesteps)} steps")
            if keep is not None:  # inpaint: the known region, noised to this step
                x = keep * scheduler.add_noise(known, noise, t.repeat(len(x))) + (1 - keep) * x
            out = self(torch.cat([x, x]), t.repeat(2 * len(x)).to(device), both)
            conditional, unconditional = out.chunk(2)
            x = scheduler.step(unconditional + guidance_scale * (conditional - unconditional), t, x).prev_sample
            if progress is not None:
                progress(i + 1, len(timesteps))
        if keep is not None:
            x = keep * known + (1 - keep) * x
        return self.unfold(x).clamp(-1, 1)

    def save(self, folder: str | Path) -> Path:
        from mmzoo.train.checkpoint import save_checkpoint

        return save_checkpoint(folder, self.unet, {"unet": self.config, "schedule": SCHEDULE, "text": MINILM,
                                                   "image_size": IMAGE_SIZE})

    @classmethod
    def load(cls, folder: str | Path) -> ShapesDiffusion:
        from mmzoo.train.checkpoint import load_weights, read_config

        config = read_config(folder)
        if "unet" not in config:
            raise InvalidInput(f"{folder} is not a Shapes diffusion checkpoint (its config.json has no 'unet')")
        model = cls(config["unet"])
        load_weights(folder, model.unet)
        return model.eval()


class ShapesDiffusionModel(TextToImageModel):
    """``text2image/shapes-diffusion``: the Shapes diffusion model behind the text2image interface."""

    modes = ("generate", "edit", "inpaint")
    schedulers = ("DDIM",)
    default_weights = Path(__file__).parent / "weights" / "shapes-diffusion"
    chunk = 16  # images denoised together

    def __init__(self, *, weights: str | Path | None = None, device: str | None = None) -> None:
        from mmzoo.devices import resolve_device

        folder = Path(weights) if weights is not None else self.default_weights
        if not (folder / "model.safetensors").is_file():
            raise WeightsUnavailable(f"no Shapes diffusion checkpoint in {folder}: train one with `mmzoo train "
                                     "text2image --out RUN` and pass weights=RUN/best")
        self.device = resolve_device(device)
        self.folder = folder
        self.net = ShapesDiffusion.load(folder).to(self.device)
        self.text = PromptEncoder(self.device)
        self.empty = self.text([""])

    def generate(self, prompts: list[str], *, seeds: list[int], images: list[Any] | None = None,
                 masks: list[Any] | None = None, progress: Callable[[int, int], None] | None = None,
                 stop: threading.Event | None = None, steps: int = 25, guidance_scale: float = 4.0,
                 strength: float = 0.6, scheduler: str = "DDIM",
                 negative_prompt: str | None = None) -> list[GeneratedImage]:
        steps = check_int("steps", steps, 1, 200)
        guidance_scale = check_float("guidance_scale", guidance_scale, 0.0, 30.0)
        strength = check_float("strength", strength, 0.0, 1.0)
        if scheduler not in self.schedulers:
            raise InvalidInput(f"{self.spec.id if self.spec else 'this model'} samples with DDIM only, "
                               f"not {scheduler!r}")
        mode = "inpaint" if masks else "edit" if images else "generate"
        parameters = {"model": self.spec.id if self.spec else str(self.folder), "steps": steps,
                      "guidance_scale": guidance_scale, "scheduler": scheduler, "width": IMAGE_SIZE,
                      "height": IMAGE_SIZE, "negative_prompt": negative_prompt or None,
                      **({"strength": strength} if mode == "edit" else {})}
        empty = self.empty if not negative_prompt else self.text([check_text(negative_prompt, "negative_prompt")])
        results: list[GeneratedImage] = []
        chunks = range(0, len(prompts), self.chunk)
        for n, start in enumerate(chunks):
            part = slice(start, start + self.chunk)

            def chunk_progress(step: int, total: int, n: int = n) -> None:
                if progress is not None:
                    progress(n * total + step, len(chunks) * total)

            pixels = self._sample(prompts[part], seeds[part], images[part] if images else None,
                                  masks[part] if masks else None, steps, guidance_scale, strength,
                                  chunk_progress, stop, empty)
            for i, tile in enumerate(pixels):
                k = start + i
                image = self._finish(tile, images[k] if images else None, masks[k] if masks else None)
                results.append(GeneratedImage(image, prompts[k], mode, seeds[k], dict(parameters)))
        return results

    @torch.inference_mode()
    def _sample(self, prompts, seeds, images, masks, steps, guidance_scale, strength, progress, stop,
                empty) -> torch.Tensor:
        init = mask = None
        if images:
            init = torch.stack([_to_tensor(i.convert("RGB").resize((IMAGE_SIZE, IMAGE_SIZE))) for i in images])
            init = init.to(self.device) * 2 - 1
        if masks:
            mask = torch.stack([_to_tensor(m.convert("L").resize((IMAGE_SIZE, IMAGE_SIZE))) for m in masks])
            mask = (mask > 0.5).float().to(self.device)
        generators = [torch.Generator().manual_seed(int(s)) for s in seeds]
        return self.net.sample(self.text(list(prompts)), empty, generators, steps, guidance_scale, init, mask,
                               strength if mask is None else 1.0, progress, stop)

    @staticmethod
    def _finish(tile: torch.Tensor, original: Any, mask: Any) -> Any:
        """A generated tile as an image: 64 px, or the input's size for edits; an inpainted image keeps
        every unmasked pixel of the input exactly."""
        from PIL import Image

        image = Image.fromarray(((tile.permute(1, 2, 0) + 1) * 127.5).round().byte().cpu().numpy())
        if original is None:
            return image
        image = image.resize(original.size, Image.BICUBIC)
        if mask is None:
            return image
        return Image.composite(image, original.convert("RGB"), mask.convert("L").point(lambda v: 255 if v > 127 else 0))

    def close(self) -> None:
        del self.net, self.text


def _to_tensor(image: Any) -> torch.Tensor:
    import numpy as np

    array = torch.from_numpy(np.array(image, dtype=np.float32) / 255.0)
    return array.permute(2, 0, 1) if array.ndim == 3 else array.unsqueeze(0)
