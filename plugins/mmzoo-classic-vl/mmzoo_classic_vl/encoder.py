"""A small CNN trained from scratch: an image -> a grid of feature vectors (the "annotation vectors")."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


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


def to_pixels(images: list[Any], size: int) -> torch.Tensor:
    """PIL images -> a float batch in [-1, 1], resized to ``size`` x ``size``."""
    import numpy as np

    arrays = [np.asarray(im.convert("RGB").resize((size, size), resample=3), dtype=np.float32) for im in images]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2) / 127.5 - 1.0
