"""The training recipes on :mod:`mmzoo.train`: ``mmzoo train caption`` (Show-Attend-Tell) and
``mmzoo train vqa`` (joint embedding).

    mmzoo train caption --data shapes --out runs/sat --epochs 15
    mmzoo train vqa --data shapes --out runs/vqa --epochs 15

Images are decoded and resized once (and a frozen encoder's grids computed once). A sample is an
image with all its captions / questions, so the CNN runs once per image, not once per text.
Validation after each epoch: greedy BLEU-4 and CIDEr-D (COCO caption evaluation; CIDEr-D picks
``best/``), or VQA accuracy. Checkpoints hold safetensors + config + vocabulary (+ answers).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import click
import torch

from mmzoo.data.readers import CaptionItem, VQAItem
from mmzoo.data.specs import caption_items, train_and_val, vqa_items
from mmzoo.errors import InvalidInput
from mmzoo.image_grids import to_pixels
from mmzoo.media import load_image
from mmzoo.train import Recipe, RunFolder, fit, is_frozen, loop_options, precompute
from mmzoo.train import TrainConfig as BaseConfig

from .joint_vqa import FUSIONS, JointVQA, JointVQAConfig, pad
from .sat import SATConfig, ShowAttendTell
from .vocab import END, START, AnswerSet, Vocabulary


@dataclass
class TrainConfig(BaseConfig):
    epochs: int = 15
    batch_size: int = 16  # images per step, each with all its captions / questions
    lr: float = 2e-3
    grad_clip: float | None = 5.0


# -- data ----------------------------------------------------------------------------------------


def caption_data(data: str, val_data: str | None, images: str | None) -> tuple[list[CaptionItem], list[CaptionItem]]:
    """Train/val captioned images of data specs: Shapes, a Karpathy JSON (its splits), or COCO captions JSONs."""
    return train_and_val(caption_items, data, val_data, images)


def vqa_data(data: str, val_data: str | None, images: str | None) -> tuple[list[VQAItem], list[VQAItem]]:
    """Train/val questions of data specs: Shapes, or VQA v2 questions JSONs (annotations beside them)."""
    return train_and_val(vqa_items, data, val_data, images)


class ImageRecipe(Recipe):
    """What both recipes share: every image decoded once, and a frozen encoder's grids computed once."""

    def __init__(self, model: ShowAttendTell | JointVQA, train_paths: Sequence[Path], val_paths: Sequence[Path],
                 device: torch.device) -> None:
        self.model, self.device = model.to(device), device
        size = model.config.image_size
        self.pixels, self.row = load_pixels(train_paths, size)
        self.val_pixels, self.val_row = load_pixels(val_paths, size)
        self.pixels, self.val_pixels = self.pixels.to(device), self.val_pixels.to(device)
        self.frozen = is_frozen(model.encoder)
        if self.frozen:
            model.encoder.eval()
        self.grids = precompute(model.encoder, self.pixels) if self.frozen else None
        self.val_grids = precompute(model.encoder, self.val_pixels) if self.frozen else None

    def images(self, rows: list[int]) -> dict[str, Any]:
        """The model's image input for these training rows: pixels, or precomputed grids."""
        index = torch.tensor(rows, device=self.device)
        return {"features": self.grids[index]} if self.frozen else {"pixels": self.pixels[index]}


def load_pixels(paths: Sequence[Path], size: int) -> tuple[torch.Tensor, dict[Path, int]]:
    """Every distinct image once, decoded and resized: (pixels, path -> row)."""
    unique = list(dict.fromkeys(paths))
    rows = [to_pixels([load_image(p) for p in unique[s:s + 256]], size) for s in range(0, len(unique), 256)]
    return torch.cat(rows), {p: i for i, p in enumerate(unique)}


# -- captioning ----------------------------------------------------------------------------------


def caption_tokens(vocab: Vocabulary, captions: Sequence[str], max_length: int) -> torch.Tensor:
    start, end = vocab.index[START], vocab.index[END]
    return pad([[start, *vocab.encode(c)[:max_length], end] for c in captions])


@torch.no_grad()
def caption_metrics(model: ShowAttendTell, vocab: Vocabulary, pixels: torch.Tensor,
                    references: Sequence[Sequence[str]], max_length: int = 20,
                    features: torch.Tensor | None = None) -> dict[str, float]:
    """Greedy captions of ``pixels`` (or of precomputed grids ``features``) scored with BLEU-4 and CIDEr-D."""
    from mmzoo.eval.captioning import caption_scores

    model.eval()
    if features is None:
        features = precompute(model.encoder, pixels)
    candidates = [" ".join(vocab.decode(model.beam_search(f, vocab, 1, max_length)[0].tokens)) for f in features]
    scores = caption_scores(references, candidates, metrics=("BLEU", "CIDEr-D")).corpus
    return {"BLEU-4": scores["BLEU-4"], "CIDEr-D": scores["CIDEr-D"]}


class CaptionRecipe(ImageRecipe):
    """Show-Attend-Tell: teacher-forced cross-entropy plus the doubly stochastic attention penalty."""

    metric = "CIDEr-D"

    def __init__(self, model: ShowAttendTell, vocab: Vocabulary, train_items: Sequence[CaptionItem],
                 val_items: Sequence[CaptionItem], device: torch.device, max_length: int = 20) -> None:
        super().__init__(model, [i.image for i in train_items], [i.image for i in val_items], device)
        self.vocab, self.max_length = vocab, max_length
        self.references = [i.captions for i in val_items]
        self.samples = [(self.row[item.image], item.captions) for item in train_items if item.captions]

    def loss(self, batch: list[tuple[int, list[str]]]) -> torch.Tensor:
        tokens = caption_tokens(self.vocab, [c for _, caps in batch for c in caps], self.max_length).to(self.device)
        owner = torch.tensor([n for n, (_, caps) in enumerate(batch) for _ in caps], device=self.device)
        image = self.images([i for i, _ in batch])
        return self.model.loss(image.get("pixels"), tokens, owner, features=image.get("features"))

    def validate(self) -> dict[str, float]:
        return caption_metrics(self.model, self.vocab, self.val_pixels, self.references, self.max_length,
                               self.val_grids)

    def save(self, folder: Path) -> None:
        self.model.save(folder, self.vocab)

    def settings(self) -> dict[str, Any]:
        return {"model": self.model.config.__dict__, "max_length": self.max_length}


def train_captioner(train_items: Sequence[CaptionItem], val_items: Sequence[CaptionItem], config: TrainConfig,
                    model_config: dict[str, Any] | None = None, out: str | Path | None = None,
                    max_length: int = 20, min_count: int = 1,
                    progress: bool = True) -> tuple[ShowAttendTell, Vocabulary, list[dict[str, Any]]]:
    """Train Show-Attend-Tell; the vocabulary comes from the training captions (or the run folder's)."""
    torch.manual_seed(config.seed)
    last = RunFolder(out).last / "vocab.json" if out is not None else None
    vocab = Vocabulary.load(last) if last and last.is_file() else \
        Vocabulary.build((c for item in train_items for c in item.captions), min_count)
    model = ShowAttendTell(SATConfig(vocab_size=len(vocab), **(model_config or {})))
    recipe = CaptionRecipe(model, vocab, train_items, val_items, config.torch_device(), max_length)
    history = fit(recipe, config, out, progress)
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


class VQARecipe(ImageRecipe):
    """Joint-embedding VQA: cross-entropy over the answer classes."""

    metric = "accuracy"

    def __init__(self, model: JointVQA, vocab: Vocabulary, answers: AnswerSet, train_items: Sequence[VQAItem],
                 val_items: Sequence[VQAItem], device: torch.device) -> None:
        super().__init__(model, [i.image for i in train_items], [i.image for i in val_items], device)
        self.vocab, self.answers, self.val_items = vocab, answers, val_items
        by_image: dict[int, list[tuple[list[int], int]]] = {}
        for i in train_items:
            if answer_of(i) in answers.index:
                by_image.setdefault(self.row[i.image], []).append((vocab.encode(i.question), answers.index[answer_of(i)]))
        self.samples = list(by_image.items())
        self.cross_entropy = torch.nn.CrossEntropyLoss()

    def loss(self, batch: list[tuple[int, list[tuple[list[int], int]]]]) -> torch.Tensor:
        qas = [qa for _, qas in batch for qa in qas]
        owner = torch.tensor([n for n, (_, qas) in enumerate(batch) for _ in qas], device=self.device)
        targets = torch.tensor([a for _, a in qas], device=self.device)
        tokens = pad([q for q, _ in qas]).to(self.device)
        image = self.images([i for i, _ in batch])
        return self.cross_entropy(self.model(image.get("pixels"), tokens, owner, features=image.get("features")),
                                  targets)

    def validate(self) -> dict[str, float]:
        return vqa_metrics(self.model, self.vocab, self.answers, self.val_pixels, self.val_items, self.val_row,
                           self.val_grids)

    def save(self, folder: Path) -> None:
        self.model.save(folder, self.vocab, self.answers)

    def settings(self) -> dict[str, Any]:
        return {"model": self.model.config.__dict__}


def train_vqa(train_items: Sequence[VQAItem], val_items: Sequence[VQAItem], config: TrainConfig,
              model_config: dict[str, Any] | None = None, out: str | Path | None = None, top_answers: int = 1000,
              min_count: int = 1, progress: bool = True) -> tuple[JointVQA, Vocabulary, AnswerSet, list[dict[str, Any]]]:
    """Train the joint-embedding model on the questions whose answer is among the ``top_answers``."""
    torch.manual_seed(config.seed)
    last = RunFolder(out).last if out is not None else None
    if last and (last / "answers.json").is_file():
        vocab, answers = Vocabulary.load(last / "vocab.json"), AnswerSet(json.loads((last / "answers.json").read_text()))
    else:
        vocab = Vocabulary.build((i.question for i in train_items), min_count)
        answers = AnswerSet.build((answer_of(i) for i in train_items), top_answers)
    model_config = dict(model_config or {})
    image_encoder = model_config.pop("image_encoder", None)
    model = JointVQA(JointVQAConfig(vocab_size=len(vocab), num_answers=len(answers), **model_config))
    if image_encoder:  # start from a trained captioner's CNN (as the paper starts from ImageNet VGG)
        if model.config.encoder != "cnn":
            raise InvalidInput(f"--image-encoder starts the small CNN; the {model.config.encoder} encoder is pretrained")
        captioner, _ = ShowAttendTell.load(image_encoder)
        if captioner.config.encoder != "cnn":
            raise InvalidInput(f"{image_encoder} uses the frozen {captioner.config.encoder} encoder, "
                               "not a trained CNN to start from")
        model.encoder.load_state_dict(captioner.encoder.state_dict())
    recipe = VQARecipe(model, vocab, answers, train_items, val_items, config.torch_device())
    history = fit(recipe, config, out, progress)
    return model.eval(), vocab, answers, history


# -- the commands --------------------------------------------------------------------------------

DATA_HELP = "A data spec: 'shapes' (or 'shapes?n=N&seed=S'), or a dataset file"


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
                     help="Run folder: epoch-N/, best/, last/, history.json; an existing run resumes."),
        click.option("--image-size", type=int, default=64),
        loop_options(TrainConfig, scheduler=True),
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
    click.echo(f"best CIDEr-D: epoch {best}, in {out}/best", err=True)


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
@click.option("--fusion", type=click.Choice(FUSIONS), default="flatten",
              help="Image vector: the flattened grid (the paper), cells weighed by the question, or two "
                   "question-guided glimpses, each read out as what it sees, where, and how well it matched.")
@click.option("--glimpse-mass/--no-glimpse-mass", default=False,
              help="With --fusion glimpses: also read how much of the image each glimpse matches (summed "
                   "sigmoid scores), for existence and counting.")
@click.option("--glimpse-direct/--no-glimpse-direct", default=False,
              help="With --fusion glimpses: also an MLP from the question and the glimpses' scalar readings "
                   "(where, top score, mass) straight to the answers.")
def vqa_command(data, val_data, images, out, image_size, min_count, top_answers, image_encoder, freeze_image,
                encoder, cell_dim, fusion, glimpse_mass, glimpse_direct, **settings):
    """Train a joint-embedding VQA model (CNN x LSTM), scoring VQA accuracy on validation after each epoch.

    Load the result with mmzoo.load("vqa/shapes-joint", weights="OUT/epoch-N").
    """
    config = _config(settings)
    train_items, val_items = vqa_data(data, val_data, images)
    click.echo(f"training on {len(train_items)} questions, validating on {len(val_items)}; run folder {out}", err=True)
    model_config = {"image_size": image_size, "image_encoder": image_encoder, "freeze_image": freeze_image,
                    "encoder": encoder, "cell_dim": cell_dim, "fusion": fusion, "glimpse_mass": glimpse_mass,
                    "glimpse_direct": glimpse_direct}
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
    click.echo(f"best accuracy: epoch {best}, in {out}/best", err=True)
