"""``mmzoo train soundnet``: SoundNet learns sound from a vision network (Aytar et al., 2016).

    mmzoo train soundnet --data "shapes?n=3000" --out runs/soundnet
    mmzoo train avmatch --audio-encoder soundnet --audio-init runs/soundnet/best --out runs/av-soundnet

The student, SoundNet's eight 1-D convolutions on the raw 16 kHz waveform, predicts over time the
ImageNet class distribution that a frozen EfficientNet-lite0 gives the paired image; the loss is
the KL divergence from the teacher's distribution to the student's time-averaged one (the paper's
object head; there is no offline scene network here, so no scene head). The first seven layers
then start the matcher's audio tower (``--audio-init``). Validation: the KL on the val captions and
how often the student's top class is the teacher's.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import click
import torch
import torch.nn.functional as F

from mmzoo.data.readers import SpokenCaption
from mmzoo.data.specs import spoken_items, train_and_val
from mmzoo.errors import DatasetError, InvalidInput
from mmzoo.image_grids import to_pixels
from mmzoo.media import load_image
from mmzoo.train import Recipe, fit, loop_options, read_config, read_weights, save_checkpoint
from mmzoo.train import TrainConfig as BaseConfig

from .audio_encoders import SoundNet, output_lengths
from .train import audio_features, batch_inputs, run_options

TEACHER_SIZE = 224
CLASSES = 1000  # ImageNet


@dataclass
class SoundNetConfig:
    scale: float = 0.25  # SoundNet's channel widths times this
    teacher_temperature: float = 1.0  # softens the teacher's distribution (> 1: flatter)


@dataclass
class TrainConfig(BaseConfig):
    epochs: int = 6
    batch_size: int = 32
    lr: float = 1e-3


def student(config: SoundNetConfig) -> SoundNet:
    return SoundNet(config.scale, objects=CLASSES, scenes=0)


@torch.no_grad()
def teacher_distributions(images: Sequence[Path], temperature: float, device: torch.device) -> torch.Tensor:
    """(images, 1000) ImageNet class probabilities of the frozen EfficientNet-lite0."""
    from mmzoo.pretrained import efficientnet_lite0

    network = efficientnet_lite0().to(device)
    out = []
    for s in range(0, len(images), 64):
        pixels = to_pixels([load_image(p) for p in images[s:s + 64]], TEACHER_SIZE).to(device)
        out.append((network(pixels) / temperature).softmax(dim=1).cpu())
    return torch.cat(out)


def class_log_probs(net: SoundNet, waveforms: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """(B, 1000) log-probabilities: conv8's object logits averaged over each waveform's real frames."""
    logits, _ = net.class_logits(net(waveforms))
    frames = output_lengths(lengths.to(logits.device), net.downsample * 2).clamp(max=logits.shape[2])  # conv8: stride 2
    real = torch.arange(logits.shape[2], device=logits.device)[None, :] < frames[:, None]
    mean = (logits * real[:, None]).sum(dim=2) / frames[:, None]
    return mean.log_softmax(dim=1)


class SoundNetRecipe(Recipe):
    metric = "val_loss"
    min_batch = 1

    def __init__(self, config: SoundNetConfig, train: Sequence[SpokenCaption], val: Sequence[SpokenCaption],
                 device: torch.device, progress: bool = True) -> None:
        self.config, self.device = config, device
        self.model = student(config).to(device)
        images = list(dict.fromkeys([i.image for i in train] + [i.image for i in val]))
        row = {p: n for n, p in enumerate(images)}
        self.teacher = teacher_distributions(images, config.teacher_temperature, device)
        self.train_audio = audio_features([i.audio for i in train], True, progress)
        self.val_audio = audio_features([i.audio for i in val], True, progress)
        self.train_owner = torch.tensor([row[i.image] for i in train])
        self.val_owner = torch.tensor([row[i.image] for i in val])
        self.samples = list(range(len(train)))
        self.lengths = [len(w) for w in self.train_audio]

    def _kl(self, audio: list[torch.Tensor], owner: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        inputs, lengths = batch_inputs(audio, waveform=True)
        log_probs = class_log_probs(self.model, inputs.to(self.device), lengths)
        target = self.teacher[owner].to(self.device)
        return F.kl_div(log_probs, target, reduction="batchmean"), log_probs.argmax(dim=1) == target.argmax(dim=1)

    def loss(self, batch: list[int]) -> torch.Tensor:
        return self._kl([self.train_audio[i] for i in batch], self.train_owner[batch])[0]

    def validate(self) -> dict[str, float]:
        total, agree = 0.0, 0
        for s in range(0, len(self.val_audio), 64):
            kl, same = self._kl(self.val_audio[s:s + 64], self.val_owner[s:s + 64])
            total += kl.item() * len(same)
            agree += int(same.sum())
        return {"val_loss": total / len(self.val_audio), "top1_agreement": agree / len(self.val_audio)}

    def save(self, folder: Path) -> None:
        save_checkpoint(folder, self.model, asdict(self.config))

    def settings(self) -> dict[str, Any]:
        return {"model": asdict(self.config)}


def load_soundnet_features(folder: str | Path, into: SoundNet) -> None:
    """Copy a ``mmzoo train soundnet`` checkpoint's first seven layers into a matcher's SoundNet tower."""
    folder = Path(folder)
    config = read_config(folder, SoundNetConfig)
    state = {k: v for k, v in read_weights(folder).items() if k.startswith("net.")}
    mine = into.state_dict()
    if set(state) != set(mine) or any(state[k].shape != mine[k].shape for k in state):
        raise InvalidInput(f"{folder} holds a SoundNet of scale {config.scale}, not the matcher's "
                           f"(give --soundnet-scale {config.scale})")
    into.load_state_dict(state)


@click.command("soundnet", context_settings={"show_default": True})
@run_options
@click.option("--scale", type=float, default=0.25, help="SoundNet's channel widths times this.")
@click.option("--teacher-temperature", type=float, default=1.0)
@loop_options(TrainConfig, scheduler=True, amp=True)
def soundnet_command(data, val_data, images, out, scale, teacher_temperature, **settings):
    """Train SoundNet on waveforms to predict a frozen image network's classes of the paired images.

    Start a matcher from it: mmzoo train avmatch --audio-encoder soundnet --audio-init OUT/best.
    """
    try:
        config = TrainConfig(**settings)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    try:
        train, val = train_and_val(spoken_items, data, val_data, images)
    except DatasetError as exc:
        raise click.BadParameter(str(exc), param_hint="--data") from None
    click.echo(f"training SoundNet on {len(train)} spoken captions, validating on {len(val)}; run folder {out}", err=True)
    torch.manual_seed(config.seed)
    recipe = SoundNetRecipe(SoundNetConfig(scale, teacher_temperature), train, val, config.torch_device())
    history = fit(recipe, config, out)
    for record in history:
        click.echo(json.dumps(record))

