"""``mmzoo train avmatch``: the matchmap matcher trained on images and their spoken captions alone.

    mmzoo train avmatch --data "shapes?n=3000" --out runs/davenet

A sample is one spoken caption; a batch pairs each caption with its image, and every other image
(and caption) of the batch is a negative, except the other captions of the same image. Losses
(:mod:`mmzoo.train.losses`): symmetric InfoNCE, or the triplet loss with sampled, hardest or
semi-hard imposters both ways. Log-mel features (or waveforms) and a frozen image grid are
computed once. After each epoch: R@1/5/10 both ways on the validation captions (and, on a Shapes
world, on the val split spoken in the held-out accent); ``rsum`` of the first picks ``best/``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import click
import torch

from mmzoo.data.readers import SpokenCaption
from mmzoo.data.specs import parse_data, spoken_items, train_and_val
from mmzoo.errors import DatasetError, InvalidInput
from mmzoo.image_grids import to_pixels
from mmzoo.matchmap import SIMILARITIES
from mmzoo.media import load_audio, load_image
from mmzoo.train import Recipe, fit, is_frozen, loop_options, precompute
from mmzoo.train import TrainConfig as BaseConfig
from mmzoo.train.losses import NEGATIVES, info_nce, triplet_loss

from .frontend import log_mel, padded_batch
from .matcher import AUDIO_ENCODERS, CALIBRATION, Matcher, MatcherConfig, build_audio_encoder

LOSSES = ("infonce", "triplet")


@dataclass
class TrainConfig(BaseConfig):
    epochs: int = 16
    batch_size: int = 64
    lr: float = 1e-3


@dataclass
class LossConfig:
    loss: str = "infonce"
    temperature: float = 0.07  # infonce
    margin: float = 0.2  # triplet, on cosine similarities
    negatives: str = "hardest"  # triplet: all, sampled, hardest or semi-hard imposters
    warmup_epochs: int = 1  # triplet: epochs with every negative before --negatives takes over


# -- features, computed once -----------------------------------------------------------------------


def audio_features(paths: Sequence[Path], waveform: bool, progress: bool = False) -> list[torch.Tensor]:
    """Every file's log-mel frames (40, T), or its 16 kHz waveform."""
    from tqdm import tqdm

    from .models import audio_inputs

    out = []
    for path in tqdm(paths, desc="audio", disable=not progress, leave=False):
        audio = load_audio(path)
        if waveform:
            inputs, lengths = audio_inputs([audio], True)
            out.append(inputs[0, :lengths[0]])
        else:
            out.append(log_mel(torch.from_numpy(audio.waveform), audio.sample_rate))
    return out


def batch_inputs(features: list[torch.Tensor], waveform: bool) -> tuple[torch.Tensor, torch.Tensor]:
    if waveform:
        return torch.nn.utils.rnn.pad_sequence(features, batch_first=True), torch.tensor([len(f) for f in features])
    return padded_batch(features)


class SpokenSet:
    """Spoken captions with their features and the row of their image."""

    def __init__(self, items: Sequence[SpokenCaption], model: Matcher, device: torch.device, progress: bool) -> None:
        images = list(dict.fromkeys(i.image for i in items))
        self.row = {path: n for n, path in enumerate(images)}
        self.owner = torch.tensor([self.row[i.image] for i in items])
        self.audio = audio_features([i.audio for i in items], model.config.waveform, progress)
        size = model.config.image_size
        pixels = lambda paths: to_pixels([load_image(p) for p in paths], size).to(device)  # noqa: E731
        if is_frozen(model.image):  # the grid never changes: its cells once, not the pixels
            self.cells = torch.cat([precompute(model.image_cells, pixels(images[s:s + 64]))
                                    for s in range(0, len(images), 64)])
            self.pixels = None
        else:
            self.cells, self.pixels = None, torch.cat([pixels(images[s:s + 64]) for s in range(0, len(images), 64)])

    def __len__(self) -> int:
        return len(self.audio)

    def regions(self, model: Matcher, rows: torch.Tensor) -> torch.Tensor:
        if self.cells is not None:
            return model.image_regions(cells=self.cells[rows.to(self.cells.device)])
        return model.image_regions(self.pixels[rows.to(self.pixels.device)])


FLOOR_PERCENTILE = 1  # a best match scoring below what 99% of validation captions score with their image


@torch.no_grad()
def similarity_matrix(model: Matcher, data: SpokenSet, device: torch.device, chunk: int = 64) -> torch.Tensor:
    """(images, captions) similarities of a validation set."""
    images = torch.arange(len(data.row))
    regions = torch.cat([data.regions(model, images[s:s + 64]) for s in range(0, len(images), 64)])
    columns = []
    for s in range(0, len(data), chunk):
        inputs, lengths = batch_inputs(data.audio[s:s + chunk], model.config.waveform)
        frames, frame_lengths = model.audio_frames(inputs.to(device), lengths)
        columns.append(model.similarity(regions, frames, frame_lengths).float().cpu())
    return torch.cat(columns, dim=1)


def recall(similarity: torch.Tensor, data: SpokenSet) -> dict[str, float]:
    """R@1/5/10 both ways (image->audio: any of the image's captions in the top k)."""
    from mmzoo.eval.retrieval import recall_scores

    scores = recall_scores(similarity.numpy(), data.owner.tolist())
    return {k.replace("i2t", "image->audio").replace("t2i", "audio->image"): v for k, v in scores.items()
            if "R@" in k or k == "rsum"}


def score_floor(similarity: torch.Tensor, data: SpokenSet) -> dict[str, Any]:
    """The calibration a model ships with: the similarity of each validation caption with its own image,
    at its :data:`FLOOR_PERCENTILE`-th percentile."""
    own = similarity[data.owner, torch.arange(len(data))]
    return {"score_floor": float(torch.quantile(own, FLOOR_PERCENTILE / 100)), "percentile": FLOOR_PERCENTILE,
            "captions": len(data)}


class MatcherRecipe(Recipe):
    metric = "rsum"
    min_batch = 2  # a batch of one has no negatives

    def __init__(self, model: Matcher, train: Sequence[SpokenCaption], val: Sequence[SpokenCaption],
                 device: torch.device, losses: LossConfig, unheard: Sequence[SpokenCaption] = (),
                 progress: bool = True) -> None:
        self.model, self.device, self.losses = model.to(device), device, losses
        if is_frozen(model.image):
            model.image.eval()
        self.train_set = SpokenSet(train, model, device, progress)
        self.val_set = SpokenSet(val, model, device, progress)
        self.unheard_set = SpokenSet(unheard, model, device, progress) if unheard else None
        self.samples = list(range(len(self.train_set)))
        self.lengths = [f.shape[-1] for f in self.train_set.audio]  # batches of similar lengths: less padding
        self.epoch = 0
        self.calibration: dict[str, Any] | None = None

    def start_epoch(self, epoch: int) -> dict[str, Any]:
        self.epoch = epoch
        return {}

    def loss(self, batch: list[int]) -> torch.Tensor:
        data = self.train_set
        rows = data.owner[batch]
        inputs, lengths = batch_inputs([data.audio[i] for i in batch], self.model.config.waveform)
        frames, frame_lengths = self.model.audio_frames(inputs.to(self.device), lengths)
        similarity = self.model.similarity(data.regions(self.model, rows), frames, frame_lengths)
        same = (rows[:, None] == rows[None, :]).to(self.device)
        if self.losses.loss == "infonce":
            return info_nce(similarity, self.losses.temperature, same)
        negatives = "all" if self.epoch < self.losses.warmup_epochs else self.losses.negatives
        return triplet_loss(similarity, self.losses.margin, negatives, same)

    def validate(self) -> dict[str, float]:
        self.model.eval()
        similarity = similarity_matrix(self.model, self.val_set, self.device)
        self.calibration = score_floor(similarity, self.val_set)
        metrics = recall(similarity, self.val_set)
        if self.unheard_set is not None:
            unheard = recall(similarity_matrix(self.model, self.unheard_set, self.device), self.unheard_set)
            metrics.update({f"unheard/{k}": v for k, v in unheard.items() if "R@10" in k})
        return metrics

    def save(self, folder: Path) -> None:
        self.model.save(folder, files={CALIBRATION: self.calibration} if self.calibration else None)

    def settings(self) -> dict[str, Any]:
        return {"model": asdict(self.model.config), "loss": asdict(self.losses)}


def unheard_val(data: str, val_data: str | None, images: str | None) -> list[SpokenCaption]:
    """The val split spoken in the held-out accent, when training on a Shapes world."""
    spec = parse_data(data, images=images)
    if val_data is not None or not spec.is_shapes:
        return []
    return spoken_items(replace(spec, split="val", voices="unheard"))


def train_matcher(train: Sequence[SpokenCaption], val: Sequence[SpokenCaption], config: TrainConfig,
                  model_config: MatcherConfig, losses: LossConfig, out: str | Path | None = None,
                  unheard: Sequence[SpokenCaption] = (), progress: bool = True,
                  audio_init: str | Path | None = None) -> tuple[Matcher, list[dict[str, Any]]]:
    """Train a matcher; ``audio_init``: a ``mmzoo train soundnet`` checkpoint that starts its SoundNet tower."""
    torch.manual_seed(config.seed)
    model = Matcher(model_config)
    if audio_init is not None:
        if model_config.audio_encoder != "soundnet":
            raise InvalidInput("--audio-init starts a SoundNet audio tower: give --audio-encoder soundnet")
        from .soundnet import load_soundnet_features

        load_soundnet_features(audio_init, model.audio)
    recipe = MatcherRecipe(model, train, val, config.torch_device(), losses, unheard, progress)
    history = fit(recipe, config, out, progress)
    return model.eval(), history


# -- the commands ----------------------------------------------------------------------------------


def run_options(command):
    """--data, --val-data, --images and --out: what both recipes (avmatch, soundnet) read and write."""
    for option in reversed([
        click.option("--data", default="shapes",
                     help="'shapes' (or 'shapes?n=N&seed=S'), or a Places-style spoken-captions JSON."),
        click.option("--val-data", help="Validation data (default: the val split of the Shapes world)."),
        click.option("--images", type=click.Path(file_okay=False), help="Folder the dataset's paths are relative to."),
        click.option("--out", required=True, type=click.Path(file_okay=False),
                     help="Run folder: epoch-N/, best/, last/, history.json; an existing run resumes."),
    ]):
        command = option(command)
    return command


@click.command("avmatch", context_settings={"show_default": True})
@run_options
@click.option("--audio-encoder", type=click.Choice(AUDIO_ENCODERS), default="davenet")
@click.option("--audio-widths", default="64,128,128,256,256",
              help="DAVEnet: five conv widths; ResDAVEnet: the stem and four stages.")
@click.option("--soundnet-scale", type=float, default=0.25, help="SoundNet: its channel widths times this.")
@click.option("--audio-init", type=click.Path(exists=True, file_okay=False),
              help="Start the SoundNet tower from a `mmzoo train soundnet` checkpoint (e.g. RUN/best).")
@click.option("--image-encoder", default="efficientnet-lite0:blocks5",
              help="'efficientnet-lite0:blocksN' (frozen ImageNet grid) or 'cnn' (trained from scratch).")
@click.option("--image-size", type=int, default=224)
@click.option("--dim", type=int, default=256, help="Size of the shared space of regions and frames.")
@click.option("--similarity", type=click.Choice(SIMILARITIES), default="misa")
@click.option("--loss", type=click.Choice(LOSSES), default="infonce")
@click.option("--temperature", type=float, default=0.07)
@click.option("--margin", type=float, default=0.2)
@click.option("--negatives", type=click.Choice(NEGATIVES), default="hardest", help="Triplet imposters.")
@click.option("--warmup-epochs", type=int, default=1, help="Triplet: epochs with all negatives first.")
@loop_options(TrainConfig, scheduler=True, amp=True)
def avmatch_command(data, val_data, images, out, audio_encoder, audio_widths, soundnet_scale, audio_init,
                    image_encoder, image_size, dim, similarity, loss, temperature, margin, negatives, warmup_epochs,
                    **settings):
    """Train a matchmap matcher of spoken captions and images, scoring R@1/5/10 both ways after each epoch.

    Load the result with mmzoo.load("avmatch/shapes-davenet", weights="OUT/best").
    """
    try:
        config = TrainConfig(**settings)
        widths = [int(w) for w in audio_widths.split(",")]
        model_config = MatcherConfig(audio_encoder, widths, soundnet_scale, image_encoder=image_encoder,
                                     image_size=image_size, dim=dim, similarity=similarity)
        build_audio_encoder(model_config)  # the widths fit the encoder
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    try:
        train, val = train_and_val(spoken_items, data, val_data, images)
        unheard = unheard_val(data, val_data, images)
    except DatasetError as exc:
        raise click.BadParameter(str(exc), param_hint="--data") from None
    click.echo(f"training on {len(train)} spoken captions, validating on {len(val)}"
               f"{f' (+{len(unheard)} in the held-out accent)' if unheard else ''}; run folder {out}", err=True)
    _, history = train_matcher(train, val, config, model_config,
                               LossConfig(loss, temperature, margin, negatives, warmup_epochs), out, unheard,
                               audio_init=audio_init)
    for record in history:
        click.echo(json.dumps(record))
    best = max(history, key=lambda r: r["rsum"])["epoch"]
    click.echo(f"best rsum: epoch {best}, in {out}/best", err=True)
