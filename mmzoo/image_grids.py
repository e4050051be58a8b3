"""Image -> a grid of feature vectors (captioning's "annotation vectors", a matchmap's image regions):
a small CNN trained from scratch (``GridCNN``), or a frozen ImageNet network cut after one of its
stages (``PretrainedGrid``). Shared by the recipes that attend over or match image regions (imports torch)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .pretrained import efficientnet_lite0


def block(c_in: int, c_out: int, pool: bool = True) -> nn.Sequential:
    layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers, *([nn.MaxPool2d(2)] if pool else []))


class GridCNN(nn.Module):
    """``image_size`` px RGB -> (B, (image_size/8)^2, channels): three conv blocks halving the side, one more conv."""

    def __init__(self, channels: int = 128, image_size: int = 64) -> None:
        super().__init__()
        self.image_size = image_size
        self.net = nn.Sequential(block(3, 32), block(32, 64), block(64, channels), block(channels, channels, pool=False))
        self.grid = image_size // 8

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.net(pixels).flatten(2).transpose(1, 2)  # (B, grid*grid, C)


# EfficientNet-lite0's stages: blocks[:N] -> (output channels, stride); 128 px with blocks5 gives 8 x 8.
EFFICIENTNET_LITE0_STAGES = {3: (40, 8), 4: (80, 16), 5: (112, 16), 6: (192, 32), 7: (320, 32)}
PRETRAINED_PREFIX = "efficientnet-lite0:blocks"


def is_pretrained(name: str) -> bool:
    return name.startswith(PRETRAINED_PREFIX)


def pretrained_stage(name: str) -> tuple[int, int]:
    """``efficientnet-lite0:blocksN`` -> (N, output channels)."""
    try:
        blocks = int(name[len(PRETRAINED_PREFIX):])
        return blocks, EFFICIENTNET_LITE0_STAGES[blocks][0]
    except (ValueError, KeyError):
        raise ValueError(f"unknown image encoder {name!r}: 'cnn' or {PRETRAINED_PREFIX}N with N in "
                         f"{sorted(EFFICIENTNET_LITE0_STAGES)}") from None


class PretrainedGrid(nn.Module):
    """A frozen ImageNet EfficientNet-lite0 cut after ``blocks`` stages: pixels in [-1, 1] (its own
    normalisation) -> (B, cells, channels). The network is deliberately not a registered submodule:
    it is rebuilt from its package at load, so it is neither trained nor saved in checkpoints
    (``.to()`` still moves it)."""

    frozen = True

    def __init__(self, name: str, image_size: int = 128) -> None:
        super().__init__()
        self.name = name
        self.image_size = image_size
        blocks, self.channels = pretrained_stage(name)
        self.grid = -(-image_size // EFFICIENTNET_LITE0_STAGES[blocks][1])
        network = efficientnet_lite0()  # mmzoo.pretrained: the packaged ImageNet weights
        trunk = nn.Sequential(network.conv_stem, network.bn1, *network.blocks[:blocks]).eval()
        for p in trunk.parameters():
            p.requires_grad_(False)
        self._trunk = (trunk,)  # a tuple hides it from state_dict(), parameters() and train()

    def _apply(self, fn, recurse: bool = True):
        self._trunk[0]._apply(fn)
        return super()._apply(fn, recurse)

    @torch.no_grad()
    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self._trunk[0](pixels).flatten(2).transpose(1, 2)  # (B, grid*grid, C)


def build_encoder(name: str, channels: int, image_size: int) -> nn.Module:
    if name == "cnn":
        return GridCNN(channels, image_size)
    return PretrainedGrid(name, image_size)


def to_pixels(images: list[Any], size: int) -> torch.Tensor:
    """PIL images -> a float batch in [-1, 1], resized to ``size`` x ``size``."""
    import numpy as np

    arrays = [np.asarray(im.convert("RGB").resize((size, size), resample=3), dtype=np.float32) for im in images]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2) / 127.5 - 1.0
