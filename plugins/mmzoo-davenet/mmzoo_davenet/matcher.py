"""The matcher: an audio encoder and an image grid encoder into one space, compared through a matchmap.

Audio frames and image regions are projected to ``dim`` and L2-normalised, so a matchmap entry is
the cosine similarity of one region and one moment of speech; an image-caption similarity pools
the matchmap (SISA / MISA / SIMA, :mod:`.matchmap`). The image tower is a frozen ImageNet grid
(EfficientNet-lite0, rebuilt from its package and never saved) or the small CNN, then a trained
batch norm and 1x1 convolution; the audio tower is DAVEnet, ResDAVEnet (log-mel) or SoundNet
(waveform), then a 1x1 convolution when its width differs from ``dim``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from mmzoo.image_grids import build_encoder, is_pretrained, pretrained_stage
from mmzoo.matchmap import SIMILARITIES, pairwise_similarity
from mmzoo.train import read_config, read_weights, save_checkpoint

from .audio_encoders import DAVEnet, ResDAVEnet, SoundNet, output_lengths

AUDIO_ENCODERS = ("davenet", "resdavenet", "soundnet")
CALIBRATION = "calibration.json"  # side file: the score real matches reach (see train.score_floor)


@dataclass
class MatcherConfig:
    audio_encoder: str = "davenet"  # davenet | resdavenet (40 log-mel bands) | soundnet (raw waveform)
    audio_widths: list[int] = field(default_factory=lambda: [64, 128, 128, 256, 256])
    soundnet_scale: float = 0.25  # SoundNet's channel widths times this
    image_encoder: str = "efficientnet-lite0:blocks5"  # or "cnn" (trained from scratch)
    image_size: int = 224
    cnn_channels: int = 128
    dim: int = 256
    similarity: str = "misa"

    def __post_init__(self) -> None:
        if self.audio_encoder not in AUDIO_ENCODERS:
            raise ValueError(f"audio_encoder must be one of {', '.join(AUDIO_ENCODERS)}, got {self.audio_encoder!r}")
        if self.similarity not in SIMILARITIES:
            raise ValueError(f"similarity must be one of {', '.join(SIMILARITIES)}, got {self.similarity!r}")
        if self.image_encoder != "cnn":
            pretrained_stage(self.image_encoder)  # ValueError naming the choices
        if self.dim < 1 or self.image_size < 32:
            raise ValueError(f"dim must be >= 1 and image_size >= 32, got {self.dim} and {self.image_size}")

    @property
    def waveform(self) -> bool:
        """Whether the audio tower reads the raw waveform (else log-mel frames)."""
        return self.audio_encoder == "soundnet"


def build_audio_encoder(config: MatcherConfig) -> nn.Module:
    if config.audio_encoder == "davenet":
        return DAVEnet(config.audio_widths)
    if config.audio_encoder == "resdavenet":
        return ResDAVEnet(config.audio_widths[1:], stem=config.audio_widths[0])
    return SoundNet(config.soundnet_scale, objects=0, scenes=0)


class Matcher(nn.Module):
    def __init__(self, config: MatcherConfig) -> None:
        super().__init__()
        self.config = config
        self.audio = build_audio_encoder(config)
        self.audio_projection = (nn.Identity() if self.audio.dim == config.dim
                                 else nn.Conv1d(self.audio.dim, config.dim, 1))
        self.image = build_encoder(config.image_encoder, config.cnn_channels, config.image_size)
        channels = pretrained_stage(config.image_encoder)[1] if is_pretrained(config.image_encoder) else config.cnn_channels
        self.image_projection = nn.Sequential(nn.BatchNorm2d(channels), nn.Conv2d(channels, config.dim, 1))

    @property
    def grid(self) -> int:
        return self.image.grid

    @property
    def downsample(self) -> int:
        """Input frames (log-mel) or samples (waveform) per output frame."""
        return self.audio.downsample

    def image_cells(self, pixels: torch.Tensor) -> torch.Tensor:
        """Pixels -> the grid encoder's (B, cells, C) features (for a frozen encoder: compute once)."""
        return self.image(pixels)

    def image_regions(self, pixels: torch.Tensor | None = None, cells: torch.Tensor | None = None) -> torch.Tensor:
        """(B, dim, grid, grid) unit vectors from pixels or from :meth:`image_cells`' output."""
        cells = self.image_cells(pixels) if cells is None else cells
        grid = cells.transpose(1, 2).reshape(cells.shape[0], cells.shape[2], self.grid, self.grid)
        return F.normalize(self.image_projection(grid), dim=1)

    def audio_frames(self, inputs: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Padded log-mel (B, 40, T) or waveforms (B, samples) and their lengths -> (B, dim, T') unit
        vectors and each one's length in output frames."""
        frames = F.normalize(self.audio_projection(self.audio(inputs)), dim=1)
        return frames, output_lengths(lengths.to(frames.device), self.downsample).clamp(max=frames.shape[2])

    def similarity(self, regions: torch.Tensor, frames: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(images, audios) pooled matchmap similarities."""
        return pairwise_similarity(regions, frames, lengths, self.config.similarity)

    def save(self, folder: str | Path, files: dict | None = None) -> Path:
        return save_checkpoint(folder, self, asdict(self.config), files=files)

    @classmethod
    def load(cls, folder: str | Path) -> Matcher:
        model = cls(read_config(folder, MatcherConfig))
        model.load_state_dict(read_weights(folder))
        return model.eval()
