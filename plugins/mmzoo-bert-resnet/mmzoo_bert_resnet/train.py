"""Train the dual encoder with a triplet loss (or InfoNCE) and score Recall@K on validation.

    python -m mmzoo_bert_resnet.train --data shapes --out runs/shapes --epochs 5

One epoch: shuffle every (image, caption) pair, batch them, embed both sides, compute the loss on
the batch's similarity matrix (captions of the same image are never negatives of each other),
step AdamW. After each epoch: R@1/5/10 both ways on the validation split, and a checkpoint
(``epoch-N/`` as safetensors + config, ``last/`` for resuming with the optimizer state).
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import torch

from mmzoo.data.readers import CaptionItem
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
    margin: float = 0.2
    temperature: float = 0.07
    seed: int = 0

    def __post_init__(self) -> None:
        if self.loss not in ("triplet", "infonce"):
            raise ValueError(f"loss must be 'triplet' or 'infonce', got {self.loss!r}")
        if self.negatives not in NEGATIVES:
            raise ValueError(f"negatives must be one of {', '.join(NEGATIVES)}, got {self.negatives!r}")


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


def batch_loss(model: DualEncoder, images: list[Any], batch: list[tuple[int, str]], config: TrainConfig) -> torch.Tensor:
    image_ids = torch.tensor([i for i, _ in batch])
    pixels = model.pixels([images[i] for i in image_ids.tolist()])
    similarity = model.encode_images(pixels) @ model.encode_texts([c for _, c in batch]).t()
    same = (image_ids[:, None] == image_ids[None, :]).to(similarity.device)
    if config.loss == "infonce":
        return info_nce(similarity, config.temperature, same=same)
    return triplet_loss(similarity, config.margin, config.negatives, same=same)


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
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.lr)
    start_epoch, history = _resume(out, model, optimizer)
    images = [load_image(item.image) for item in train_items]  # decoded once, reused every epoch
    pairs = pairs_of(train_items)
    for epoch in range(start_epoch, config.epochs):
        rng.seed(config.seed + epoch)  # the same shuffles whether resumed or not
        model.train()
        losses = []
        for batch in tqdm(list(batches(pairs, config.batch_size, rng)), desc=f"epoch {epoch + 1}", disable=not progress,
                          leave=False):
            loss = batch_loss(model, images, batch, config)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        record = {"epoch": epoch + 1, "loss": sum(losses) / max(len(losses), 1), **recall(model, val_items)}
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
    model.load_state_dict(load_file(out / "last" / "model.safetensors"))
    optimizer.load_state_dict(torch.load(out / "last" / "optimizer.pt", weights_only=True))
    history = json.loads((out / "history.json").read_text())["epochs"]
    return int(history[-1]["epoch"]), history


def main(argv: Sequence[str] | None = None) -> None:
    from mmzoo.data import ensure_shapes
    from mmzoo.data.readers import read_coco_captions, read_karpathy

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="shapes", help="'shapes' or a Karpathy split JSON (dataset_coco.json)")
    parser.add_argument("--images", help="image folder of a Karpathy JSON")
    parser.add_argument("--out", required=True)
    parser.add_argument("--text-model", default="bert-base-uncased")
    parser.add_argument("--image-model", default="resnet50")
    parser.add_argument("--image-size", type=int, default=224)
    for field, value in asdict(TrainConfig()).items():
        parser.add_argument(f"--{field.replace('_', '-')}", type=type(value), default=value)
    args = parser.parse_args(argv)
    if args.data == "shapes":
        root = ensure_shapes()
        train_items = read_coco_captions(root / "annotations" / "captions_train.json", root / "images")
        val_items = read_coco_captions(root / "annotations" / "captions_val.json", root / "images")
    else:
        train_items = read_karpathy(args.data, args.images, split="train")
        val_items = read_karpathy(args.data, args.images, split="val")
    model = DualEncoder.from_towers(DualEncoderConfig(text_model=args.text_model, image_model=args.image_model,
                                                      image_size=args.image_size))
    config = TrainConfig(**{f: getattr(args, f) for f in asdict(TrainConfig())})
    for record in train(model, train_items, val_items, config, out=args.out):
        print(json.dumps(record))


if __name__ == "__main__":
    main()
