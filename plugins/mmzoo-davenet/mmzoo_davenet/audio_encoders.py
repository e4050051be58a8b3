"""Audio encoders of spoken-caption matchers: log-mel or waveform in, a sequence of frame vectors out.

- :class:`DAVEnet` (Harwath et al., 2018): a 1-frame convolution over the 40 bands, then four
  convolution + max-pool stages (kernels 11, 17, 17, 17): one output frame per 16 input frames.
- :class:`ResDAVEnet` (Harwath et al., 2020): the same front, then four stages of two residual
  1-D blocks (kernel 9), each stage halving the frame rate.
- :class:`SoundNet` (Aytar et al., 2016): eight 1-D convolutions on the raw waveform; the first
  seven give the features, the eighth predicts object and scene class distributions (the heads a
  frozen vision network teaches). Kernels, strides, paddings and pools are the original's
  (cvondrick/soundnet), with two changes for spoken captions of a few seconds (the original ran on
  20 s clips at 22.05 kHz): pools round up and conv8 is padded, so a one-second caption still
  gives a frame. Its published weights are torch7 files (the original) or unlicensed conversions,
  so none is loaded here.

Widths are arguments (the papers' are the defaults) so that small versions train on a CPU.
Every encoder has ``downsample`` (input samples or frames per output frame) and ``dim``.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .frontend import N_MELS


def _conv_bn_relu(c_in: int, c_out: int, kernel: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv1d(c_in, c_out, kernel, stride=stride, padding=kernel // 2), nn.BatchNorm1d(c_out),
            nn.ReLU(inplace=True)]


class DAVEnet(nn.Module):
    def __init__(self, widths: Sequence[int] = (128, 256, 512, 512, 1024), n_mels: int = N_MELS) -> None:
        super().__init__()
        if len(widths) != 5:
            raise ValueError(f"DAVEnet has five convolutions, got widths {tuple(widths)}")
        layers: list[nn.Module] = [nn.BatchNorm1d(n_mels), *_conv_bn_relu(n_mels, widths[0], 1)]
        for c_in, c_out, kernel in zip(widths[:-1], widths[1:], (11, 17, 17, 17)):
            layers += [*_conv_bn_relu(c_in, c_out, kernel), nn.MaxPool1d(3, stride=2, padding=1)]
        self.net = nn.Sequential(*layers)
        self.dim, self.downsample = widths[-1], 16

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """(batch, 40, frames) -> (batch, dim, frames / 16)."""
        return self.net(mel)


class _ResidualBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, kernel: int = 9) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False), nn.BatchNorm1d(c_out),
            nn.ReLU(inplace=True), nn.Conv1d(c_out, c_out, kernel, padding=kernel // 2, bias=False),
            nn.BatchNorm1d(c_out))
        self.skip = (nn.Identity() if stride == 1 and c_in == c_out else
                     nn.Sequential(nn.Conv1d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm1d(c_out)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.skip(x))


class ResDAVEnet(nn.Module):
    def __init__(self, widths: Sequence[int] = (128, 256, 512, 1024), stem: int = 128, blocks: int = 2,
                 n_mels: int = N_MELS) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.BatchNorm1d(n_mels), *_conv_bn_relu(n_mels, stem, 1)]
        c_in = stem
        for width in widths:
            layers += [_ResidualBlock(c_in, width, stride=2)] + [_ResidualBlock(width, width, 1) for _ in range(blocks - 1)]
            c_in = width
        self.net = nn.Sequential(*layers)
        self.dim, self.downsample = widths[-1], 2 ** len(widths)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """(batch, 40, frames) -> (batch, dim, frames / 2^stages)."""
        return self.net(mel)


# SoundNet's eight layers: (output channels, kernel, stride, max-pool after it)
SOUNDNET_LAYERS = ((16, 64, 2, 8), (32, 32, 2, 8), (64, 16, 2, 1), (128, 8, 2, 1), (256, 4, 2, 4),
                   (512, 4, 2, 1), (1024, 4, 2, 1))


class SoundNet(nn.Module):
    def __init__(self, scale: float = 1.0, objects: int = 1000, scenes: int = 401) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 1
        for channels, kernel, stride, pool in SOUNDNET_LAYERS:
            c_out = max(1, int(channels * scale))
            layers += [nn.Conv1d(c_in, c_out, kernel, stride=stride, padding=kernel // 2), nn.BatchNorm1d(c_out),
                       nn.ReLU(inplace=True)]
            layers += [nn.MaxPool1d(pool, ceil_mode=True)] if pool > 1 else []
            c_in = c_out
        self.net = nn.Sequential(*layers)
        self.objects = nn.Conv1d(c_in, objects, 8, stride=2, padding=4) if objects else None
        self.scenes = nn.Conv1d(c_in, scenes, 8, stride=2, padding=4) if scenes else None
        self.dim = c_in
        self.downsample = 1
        for _, _, stride, pool in SOUNDNET_LAYERS:
            self.downsample *= stride * pool

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        """(batch, samples) or (batch, 1, samples) -> (batch, dim, frames): the conv7 features."""
        return self.net(waveform if waveform.ndim == 3 else waveform[:, None])

    def class_logits(self, features: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """conv8's object and scene logits (batch, classes, frames) from :meth:`forward`'s features."""
        return (self.objects(features) if self.objects is not None else None,
                self.scenes(features) if self.scenes is not None else None)


def output_lengths(lengths: torch.Tensor, downsample: int) -> torch.Tensor:
    """Frames an encoder makes of inputs ``lengths`` long (at least one)."""
    return (-(-lengths // downsample)).clamp(min=1)
