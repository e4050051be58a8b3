"""A dual encoder: a BERT-family text tower and a torchvision ResNet image tower, each projected
into one L2-normalised space (the classic "BERT for text, ResNet for images, triplet loss" recipe).

Towers come from hub ids (``bert-base-uncased`` at a pinned revision, torchvision's ImageNet
weights) or from local folders/files, through the same calls. A trained model is saved as
``config.json`` + ``model.safetensors`` + ``text/`` (the text tower's config and tokenizer), and
loads with no network at all.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch
from torch import nn

from mmzoo.errors import InvalidInput, WeightsUnavailable

PINNED_REVISIONS = {"bert-base-uncased": "86b5e0934494bd15c9632b12f734a8a67f723594"}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass
class DualEncoderConfig:
    text_model: str = "bert-base-uncased"  # hub id or folder (save_pretrained layout)
    text_revision: str | None = None  # None: the pinned revision of a known hub id
    pooling: str = "mean"  # "mean" over tokens, or "cls"
    image_model: str = "resnet50"  # any torchvision classification model name
    image_weights: str | None = "DEFAULT"  # torchvision weights name, a .safetensors state dict, or None (random)
    embed_dim: int = 512
    image_size: int = 224
    max_length: int = 64

    def __post_init__(self) -> None:
        if self.pooling not in ("mean", "cls"):
            raise InvalidInput(f"pooling must be 'mean' or 'cls', got {self.pooling!r}")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DualEncoderConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


class DualEncoder(nn.Module):
    def __init__(self, config: DualEncoderConfig, text_tower: nn.Module, tokenizer: Any, image_tower: nn.Module):
        super().__init__()
        self.config = config
        self.text_tower = text_tower
        self.tokenizer = tokenizer
        image_dim = _replace_classifier(image_tower)
        self.image_tower = image_tower
        self.text_projection = nn.Linear(text_tower.config.hidden_size, config.embed_dim)
        self.image_projection = nn.Linear(image_dim, config.embed_dim)

    # -- building ------------------------------------------------------------------------------
    @classmethod
    def from_towers(cls, config: DualEncoderConfig) -> DualEncoder:
        """Pretrained towers (hub ids or local paths) with fresh projections: the start of training."""
        from transformers import AutoModel, AutoTokenizer

        revision = config.text_revision or PINNED_REVISIONS.get(config.text_model)
        try:
            tokenizer = AutoTokenizer.from_pretrained(config.text_model, revision=revision)
            text_tower = AutoModel.from_pretrained(config.text_model, revision=revision)
        except OSError as exc:
            raise WeightsUnavailable(
                f"text tower {config.text_model!r} (revision {revision or 'latest'}) is not cached and cannot be "
                f"downloaded here; run `mmzoo download` for the model with internet, or give a local folder "
                f"({_first_line(exc)})") from None
        return cls(config, text_tower, tokenizer, _image_tower(config))

    @classmethod
    def load(cls, folder: str | Path) -> DualEncoder:
        """A trained checkpoint saved by :meth:`save` (safetensors only; nothing is downloaded)."""
        from safetensors.torch import load_file
        from transformers import AutoConfig, AutoModel, AutoTokenizer

        folder = Path(folder)
        for needed in ("config.json", "model.safetensors", "text/config.json"):
            if not (folder / needed).is_file():
                raise WeightsUnavailable(f"{folder} is not a dual-encoder checkpoint: {needed} is missing")
        config = DualEncoderConfig.from_dict(json.loads((folder / "config.json").read_text()))
        text_tower = AutoModel.from_config(AutoConfig.from_pretrained(folder / "text"))
        tokenizer = AutoTokenizer.from_pretrained(folder / "text")
        image_config = DualEncoderConfig(**{**asdict(config), "image_weights": None})
        model = cls(config, text_tower, tokenizer, _image_tower(image_config))
        model.load_state_dict(load_file(folder / "model.safetensors"))
        return model.eval()

    def save(self, folder: str | Path) -> Path:
        from safetensors.torch import save_file

        folder = Path(folder)
        (folder / "text").mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps(asdict(self.config), indent=2) + "\n")
        self.text_tower.config.save_pretrained(folder / "text")
        self.tokenizer.save_pretrained(folder / "text")
        state = {k: v.detach().contiguous().cpu() for k, v in self.state_dict().items()}
        save_file(state, folder / "model.safetensors")
        return folder

    # -- encoding ------------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return self.text_projection.weight.device

    def encode_texts(self, texts: list[str]) -> torch.Tensor:
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.config.max_length,
                               return_tensors="pt").to(self.device)
        hidden = self.text_tower(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        if self.config.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)
        return nn.functional.normalize(self.text_projection(pooled), dim=-1)

    def encode_images(self, pixels: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.image_projection(self.image_tower(pixels.to(self.device))), dim=-1)

    def pixels(self, images: list[Any]) -> torch.Tensor:
        """PIL images -> a normalised (N, 3, S, S) batch."""
        import numpy as np

        size = self.config.image_size
        arrays = [np.asarray(i.convert("RGB").resize((size, size)), dtype=np.float32) / 255.0 for i in images]
        batch = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)
        mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
        return (batch - mean) / std


def _image_tower(config: DualEncoderConfig) -> nn.Module:
    from torchvision.models import get_model

    weights = config.image_weights
    if weights is not None and weights.endswith(".safetensors"):
        from safetensors.torch import load_file

        tower = get_model(config.image_model, weights=None)
        tower.load_state_dict(load_file(weights))
        return tower
    try:
        return get_model(config.image_model, weights=weights)
    except ValueError as exc:
        raise InvalidInput(f"unknown torchvision model or weights {config.image_model}/{weights}: {exc}") from None
    except (OSError, RuntimeError) as exc:  # torch.hub could not download the weights
        raise WeightsUnavailable(
            f"image tower {config.image_model} weights {weights} are not cached in TORCH_HOME and cannot be "
            f"downloaded here; run `mmzoo download` with internet ({_first_line(exc)})") from None


def _replace_classifier(tower: nn.Module) -> int:
    """Drop a torchvision classifier's last layer; return the feature size it received."""
    if isinstance(getattr(tower, "fc", None), nn.Linear):  # ResNet family
        size = tower.fc.in_features
        tower.fc = nn.Identity()
        return size
    raise InvalidInput(f"{type(tower).__name__} is not a ResNet-style model with an `fc` classifier")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
