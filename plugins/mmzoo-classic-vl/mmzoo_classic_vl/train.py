"""The training recipes: ``mmzoo train caption`` (Show-Attend-Tell) and ``mmzoo train vqa`` (joint embedding).

    mmzoo train caption --data shapes --out runs/sat --epochs 15
    mmzoo train vqa --data shapes --out runs/vqa --epochs 15

Images are decoded and resized once. Each epoch shuffles the images and batches each with all its
texts (the CNN runs once per image, not once per caption or question), steps Adam with
gradient clipping, then scores the validation split (captions: greedy BLEU-4 and CIDEr-D with the
COCO caption evaluation; VQA: VQA accuracy) and writes ``epoch-N/`` and ``last/`` (safetensors +
config + vocabulary; ``last/`` also keeps the optimizer state, so a run folder resumes).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import click
import torch

from mmzoo.data import shapes_split_spec
from mmzoo.data.readers import CaptionItem, VQAItem
from mmzoo.devices import resolve_device
from mmzoo.errors import InvalidInput
from mmzoo.media import load_image

from .encoder import to_pixels
from .joint_vqa import JointVQA, JointVQAConfig, pad
from .sat import SATConfig, ShowAttendTell
from .vocab import END, START, AnswerSet, Vocabulary


@dataclass
class TrainConfig:
    epochs: int = 15
    batch_size: int = 16  # images per step, each with all its captions / questions
    lr: float = 2e-3
    grad_clip: float = 5.0
    seed: int = 0
    device: str = "auto"  # "auto": cuda when available

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError("epochs and batch_size must be >= 1 and lr > 0")

    def torch_device(self) -> torch.device:
        return torch.device(resolve_device(None if self.device == "auto" else self.device))


# -- data ----------------------------------------------------------------------------------------


def caption_data(data: str, val_data: str | None, images: str | None) -> tuple[list[CaptionItem], list[CaptionItem]]:
    """Train/val captioned images: Shapes, a Karpathy JSON (its train/val splits) or COCO captions JSONs."""
    from mmzoo.evaluate import DataSpec, caption_items

    root = Path(images) if images else None
    if (spec := shapes_split_spec(data, "train")) is not None:
        return caption_items(DataSpec(spec)), caption_items(DataSpec(val_data or shapes_split_spec(data, "val")))
    train = caption_items(DataSpec(data, "train", root))
    val = caption_items(DataSpec(val_data, "val", root) if val_data else DataSpec(data, "val", root))
    return train, val


def vqa_data(data: str, val_data: str | None, images: str | None) -> tuple[list[VQAItem], list[VQAItem]]:
    """Train/val questions: Shapes, or VQA v2 questions JSONs (annotations beside them)."""
    from mmzoo.evaluate import DataSpec, vqa_items

    root = Path(images) if images else None
    if (spec := shapes_split_spec(data, "train")) is not None:
        return vqa_items(DataSpec(spec)), vqa_items(DataSpec(val_data or shapes_split_spec(data, "val")))
    if not val_data:
        raise InvalidInput("--val-data is needed with a VQA questions file (e.g. v2_OpenEnded_mscoco_val2014_questions.json)")
    return vqa_items(DataSpec(data, images=root)), vqa_items(DataSpec(val_data, images=root))


def load_pixels(paths: Sequence[Path], size: int) -> tuple[torch.Tensor, dict[Path, int]]:
    """Every distinct image once, decoded and resized: (pixels, path -> row)."""
    unique = list(dict.fromkeys(paths))
    rows = [to_pixels([load_image(p) for p in unique[s:s + 256]], size) for s in range(0, len(unique), 256)]
    return torch.cat(rows), {p: i for i, p in enumerate(unique)}


# -- the shared loop -----------------------------------------------------------------------------


def fit(model: torch.nn.Module, samples: list[Any], batch_loss: Callable[[list[Any]], torch.Tensor],
        validate: Callable[[], dict[str, float]], save: Callable[[Path], None], config: TrainConfig,
        out: str | Path | None, progress: bool) -> list[dict[str, Any]]:
    """Epochs of Adam over shuffled ``samples``; validation, checkpoints and resuming."""
    from tqdm import tqdm

    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=config.lr)
    start, history = _resume(out, model, optimizer)
    rng = random.Random()
    for epoch in range(start, config.epochs):
        rng.seed(config.seed + epoch)  # the same shuffles whether resumed or not
        torch.manual_seed(config.seed + epoch)
        order = samples[:]
        rng.shuffle(order)
        model.train()
        losses = []
        chunks = [order[s:s + config.batch_size] for s in range(0, len(order), config.batch_size)]
        for batch in tqdm(chunks, desc=f"epoch {epoch + 1}/{config.epochs}", disable=not progress, leave=False):
            loss = batch_loss(batch)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        record = {"epoch": epoch + 1, "loss": sum(losses) / len(losses), **validate()}
        history.append(record)
        if out is not None:
            out = Path(out)
            save(out / f"epoch-{epoch + 1}")
            save(out / "last")
            torch.save(optimizer.state_dict(), out / "last" / "optimizer.pt")
            (out / "history.json").write_text(json.dumps({"train": asdict(config), "epochs": history}, indent=2) + "\n")
    return history


def _resume(out: str | Path | None, model: torch.nn.Module, optimizer: torch.optim.Optimizer):
    last = Path(out) / "last" if out is not None else None
    if last is None or not (last / "optimizer.pt").is_file():
        return 0, []
    from safetensors.torch import load_file

    model.load_state_dict(load_file(last / "model.safetensors", device=str(next(model.parameters()).device)))
    optimizer.load_state_dict(torch.load(last / "optimizer.pt", weights_only=True))
    history = json.loads((Path(out) / "history.json").read_text())["epochs"]
    return int(history[-1]["epoch"]), history


# -- captioning ----------------------------------------------------------------------------------


def caption_tokens(vocab: Vocabulary, captions: Sequence[str], max_length: int) -> torch.Tensor:
    start, end = vocab.index[START], vocab.index[END]
    return pad([[start, *vocab.encode(c)[:max_length], end] for c in captions])


@torch.no_grad()
def encode(model: ShowAttendTell | JointVQA, pixels: torch.Tensor, chunk: int = 128) -> torch.Tensor:
    """The encoder's grids of ``pixels``, in chunks."""
    return torch.cat([model.encoder(pixels[s:s + chunk]) for s in range(0, len(pixels), chunk)])


@torch.no_grad()
def caption_metrics(model: ShowAttendTell, vocab: Vocabulary, pixels: torch.Tensor,
                    references: Sequence[Sequence[str]], max_length: int = 20,
                    features: torch.Tensor | None = None) -> dict[str, float]:
    """Greedy captions of ``pixels`` (or of precomputed grids ``features``) scored with BLEU-4 and CIDEr-D."""
    from mmzoo.eval.captioning import caption_scores

    model.eval()
    if features is None:
        features = encode(model, pixels)
    candidates = [" ".join(vocab.decode(model.beam_search(f, vocab, 1, max_length)[0].tokens)) for f in features]
    scores = caption_scores(references, candidates, metrics=("BLEU", "CIDEr-D")).corpus
    return {"BLEU-4": scores["BLEU-4"], "CIDEr-D": scores["CIDEr-D"]}


def train_captioner(train_items: Sequence[CaptionItem], val_items: Sequence[CaptionItem], config: TrainConfig,
                    model_config: dict[str, Any] | None = None, out: str | Path | None = None,
                    max_length: int = 20, min_count: int = 1,
                    progress: bool = True) -> tuple[ShowAttendTell, Vocabulary, list[dict[str, Any]]]:
    """Train Show-Attend-Tell; the vocabulary comes from the training captions (or the run folder's)."""
    torch.manual_seed(config.seed)
    device = config.torch_device()
    last = Path(out) / "last" / "vocab.json" if out is not None else None
    vocab = Vocabulary.load(last) if last and last.is_file() else \
        Vocabulary.build((c for item in train_items for c in item.captions), min_count)
    model = ShowAttendTell(SATConfig(vocab_size=len(vocab), **(model_config or {}))).to(device)
    size = model.config.image_size
    pixels, row = load_pixels([i.image for i in train_items], size)
    pixels = pixels.to(device)
    val_pixels, _ = load_pixels([i.image for i in val_items], size)
    val_pixels = val_pixels.to(device)
    samples = [(row[item.image], item.captions) for item in train_items if item.captions]
    # a frozen encoder gives the same grids every epoch: compute them once
    frozen = getattr(model.encoder, "frozen", False)
    grids = encode(model, pixels) if frozen else None
    val_grids = encode(model, val_pixels) if frozen else None

    def batch_loss(batch):
        tokens = caption_tokens(vocab, [c for _, caps in batch for c in caps], max_length).to(device)
        owner = torch.tensor([n for n, (_, caps) in enumerate(batch) for _ in caps], device=device)
        images = torch.tensor([i for i, _ in batch], device=device)
        if frozen:
            return model.loss(None, tokens, owner, features=grids[images])
        return model.loss(pixels[images], tokens, owner)

    history = fit(model, samples, batch_loss,
                  lambda: caption_metrics(model, vocab, val_pixels, [i.captions for i in val_items], max_length,
                                          val_grids),
                  lambda folder: model.save(folder, vocab), config, out, progress)
    return model.eval(), vocab, history


# -- VQA -----------------------------------------------------------------------------------------


def answer_of(item: VQAItem) -> str:
    """The training target: the annotated answer, else the humans' most common one."""
    return item.multiple_choice_answer or Counter(item.answers).most_common(1)[0][0]


@torch.no_grad()
def vqa_metrics(model: JointVQA, vocab: Vocabulary, answers: AnswerSet, pixels: torch.Tensor | None,
                items: Sequence[VQAItem], row: dict[Path, int],
                features: torch.Tensor | None = None) -> dict[str, float]:
    """VQA accuracy on ``items`` about ``pixels`` (or about precomputed grids ``features``)."""
    from mmzoo.eval.vqa import vqa_accuracy

    model.eval()
    predictions = {}
    for s in range(0, len(items), 256):
        chunk = items[s:s + 256]
        tokens = pad([vocab.encode(i.question) for i in chunk]).to(model.device)
        owner = torch.tensor([row[i.image] for i in chunk], device=model.device)
        best = model(pixels, tokens, owner, features=features).argmax(1)
        predictions.update({i.question_id: answers.answers[b] for i, b in zip(chunk, best.tolist())})
    scores = vqa_accuracy(predictions, {i.question_id: i.answers for i in items},
                          answer_types={i.question_id: i.answer_type or "unknown" for i in items})
    return {"accuracy": scores.overall, **{f"accuracy/{k}": v for k, v in scores.per_answer_type.items()}}


def train_vqa(train_items: Sequence[VQAItem], val_items: Sequence[VQAItem], config: TrainConfig,
              model_config: dict[str, Any] | None = None, out: str | Path | None = None, top_answers: int = 1000,
              min_count: int = 1, progress: bool = True) -> tuple[JointVQA, Vocabulary, AnswerSet, list[dict[str, Any]]]:
    """Train the joint-embedding model on the questions whose answer is among the ``top_answers``."""
    torch.manual_seed(config.seed)
    device = config.torch_device()
    last = Path(out) / "last" if out is not None else None
    if last and (last / "answers.json").is_file():
        vocab, answers = Vocabulary.load(last / "vocab.json"), AnswerSet(json.loads((last / "answers.json").read_text()))
    else:
        vocab = Vocabulary.build((i.question for i in train_items), min_count)
        answers = AnswerSet.build((answer_of(i) for i in train_items), top_answers)
    model_config = dict(model_config or {})
    image_encoder = model_config.pop("image_encoder", None)
    model = JointVQA(JointVQAConfig(vocab_size=len(vocab), num_answers=len(answers), **model_config)).to(device)
    if image_encoder:  # start from a trained captioner's CNN (as the paper starts from ImageNet VGG)
        if model.config.encoder != "cnn":
            raise InvalidInput(f"--image-encoder starts the small CNN; the {model.config.encoder} encoder is pretrained")
        captioner, _ = ShowAttendTell.load(image_encoder)
        if captioner.config.encoder != "cnn":
            raise InvalidInput(f"{image_encoder} uses the frozen {captioner.config.encoder} encoder, "
                               "not a trained CNN to start from")
        model.encoder.load_state_dict(captioner.encoder.state_dict())
    size = model.config.image_size
    pixels, row = load_pixels([i.image for i in train_items], size)
    pixels = pixels.to(device)
    val_pixels, val_row = load_pixels([i.image for i in val_items], size)
    val_pixels = val_pixels.to(device)
    # a frozen pretrained encoder gives the same grids every epoch: compute them once
    frozen = getattr(model.encoder, "frozen", False)
    grids = encode(model, pixels) if frozen else None
    val_grids = encode(model, val_pixels) if frozen else None
    by_image: dict[int, list[tuple[list[int], int]]] = {}
    for i in train_items:
        if answer_of(i) in answers.index:
            by_image.setdefault(row[i.image], []).append((vocab.encode(i.question), answers.index[answer_of(i)]))
    loss_fn = torch.nn.CrossEntropyLoss()

    def batch_loss(batch):
        index = torch.tensor([i for i, _ in batch], device=device)
        qas = [qa for _, qas in batch for qa in qas]
        owner = torch.tensor([n for n, (_, qas) in enumerate(batch) for _ in qas], device=device)
        targets = torch.tensor([a for _, a in qas], device=device)
        tokens = pad([q for q, _ in qas]).to(device)
        if frozen:
            return loss_fn(model(None, tokens, owner, features=grids[index]), targets)
        return loss_fn(model(pixels[index], tokens, owner), targets)

    history = fit(model, list(by_image.items()), batch_loss,
                  lambda: vqa_metrics(model, vocab, answers, val_pixels, val_items, val_row, val_grids),
                  lambda folder: model.save(folder, vocab, answers), config, out, progress)
    return model.eval(), vocab, answers, history


# -- the commands --------------------------------------------------------------------------------

DATA_HELP = "'shapes' (or 'shapes?n=N&seed=S'), or a dataset file"


def _config(settings: dict[str, Any]) -> TrainConfig:
    try:
        return TrainConfig(**settings)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def common_options(command):
    for option in reversed([
        click.option("--data", default="shapes", help=DATA_HELP),
        click.option("--val-data", help="Validation data (default: the val split of --data)."),
        click.option("--images", type=click.Path(file_okay=False), help="Folder the dataset's image paths are relative to."),
        click.option("--out", required=True, type=click.Path(file_okay=False),
                     help="Run folder: epoch-N/, last/, history.json; an existing run resumes."),
        click.option("--image-size", type=int, default=64),
        click.option("--epochs", type=int, default=TrainConfig.epochs),
        click.option("--batch-size", type=int, default=TrainConfig.batch_size),
        click.option("--lr", type=float, default=TrainConfig.lr),
        click.option("--seed", type=int, default=TrainConfig.seed),
        click.option("--device", default=TrainConfig.device, help="auto, cpu, cuda, cuda:1, ..."),
        click.option("--min-count", type=int, default=1, help="Words seen fewer times become <unk>."),
    ]):
        command = option(command)
    return command


@click.command("caption", context_settings={"show_default": True})
@common_options
@click.option("--hidden-dim", type=int, default=256)
@click.option("--alpha-c", type=float, default=1.0, help="Weight of the doubly stochastic attention penalty.")
@click.option("--max-length", type=int, default=20, help="Longest training caption, in words.")
@click.option("--encoder", default="cnn",
              help="'cnn' (trained from scratch) or 'efficientnet-lite0:blocksN' (frozen ImageNet EfficientNet-lite0 "
                   "cut after N stages, N in 3..7; blocks5 at --image-size 128 gives an 8x8 grid of 112-d cells).")
def caption_command(data, val_data, images, out, image_size, min_count, hidden_dim, alpha_c, max_length, encoder,
                    **settings):
    """Train a Show-Attend-Tell captioner, scoring BLEU-4 and CIDEr-D on validation after each epoch.

    Load the result with mmzoo.load("caption/shapes-sat", weights="OUT/epoch-N").
    """
    config = _config(settings)
    train_items, val_items = caption_data(data, val_data, images)
    click.echo(f"training on {len(train_items)} images, validating on {len(val_items)}; run folder {out}", err=True)
    model_config = {"image_size": image_size, "hidden_dim": hidden_dim, "alpha_c": alpha_c, "encoder": encoder}
    try:
        SATConfig(vocab_size=1, **model_config)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--encoder") from None
    _, _, history = train_captioner(train_items, val_items, config, model_config, out, max_length, min_count)
    for record in history:
        click.echo(json.dumps(record))
    best = max(history, key=lambda r: r["CIDEr-D"])["epoch"]
    click.echo(f"best CIDEr-D: {out}/epoch-{best}", err=True)


@click.command("vqa", context_settings={"show_default": True})
@common_options
@click.option("--top-answers", type=int, default=1000, help="Classes: the N most frequent training answers.")
@click.option("--image-encoder", type=click.Path(file_okay=False),
              help="Start the CNN from this `mmzoo train caption` checkpoint (same --image-size).")
@click.option("--freeze-image/--train-image", default=False, help="Keep the CNN fixed.")
@click.option("--encoder", default="cnn",
              help="'cnn' (the small CNN: trained, or started with --image-encoder) or 'efficientnet-lite0:blocksN' "
                   "(frozen ImageNet EfficientNet-lite0 cut after N stages, N in 3..7; blocks5 at --image-size 128 "
                   "gives an 8x8 grid of 112-d cells; grids computed once).")
@click.option("--cell-dim", type=int, default=128,
              help="With a pretrained --encoder: each cell -> this size (layer norm, linear, ReLU; trained).")
@click.option("--fusion", type=click.Choice(["flatten", "attention"]), default="flatten",
              help="Image vector: the flattened grid (the paper), or cells weighed by the question.")
def vqa_command(data, val_data, images, out, image_size, min_count, top_answers, image_encoder, freeze_image,
                encoder, cell_dim, fusion, **settings):
    """Train a joint-embedding VQA model (CNN x LSTM), scoring VQA accuracy on validation after each epoch.

    Load the result with mmzoo.load("vqa/shapes-joint", weights="OUT/epoch-N").
    """
    config = _config(settings)
    train_items, val_items = vqa_data(data, val_data, images)
    click.echo(f"training on {len(train_items)} questions, validating on {len(val_items)}; run folder {out}", err=True)
    model_config = {"image_size": image_size, "image_encoder": image_encoder, "freeze_image": freeze_image,
                    "encoder": encoder, "cell_dim": cell_dim, "fusion": fusion}
    try:
        JointVQAConfig(vocab_size=1, num_answers=1, **{k: v for k, v in model_config.items() if k != "image_encoder"})
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--encoder") from None
    if image_encoder and encoder != "cnn":
        raise click.BadParameter("--image-encoder starts the small CNN ('--encoder cnn')", param_hint="--image-encoder")
    *_, history = train_vqa(train_items, val_items, config, model_config, out, top_answers, min_count)
    for record in history:
        click.echo(json.dumps(record))
    best = max(history, key=lambda r: r["accuracy"])["epoch"]
    click.echo(f"best accuracy: {out}/epoch-{best}", err=True)
