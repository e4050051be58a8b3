"""Tiny random Stable Diffusion pipelines saved with save_pretrained, so the tests load them through the
same code as the hub ids (``weights=`` and a fake cached snapshot), offline and in a fraction of a second."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import mmzoo
from mmzoo_diffusers.testing import tiny_pipeline


@pytest.fixture(scope="session")
def sd_folder(tmp_path_factory) -> Path:
    """A tiny SD 1.x pipeline (PNDM, no safety checker), 64 px images."""
    return tiny_pipeline(tmp_path_factory.mktemp("tiny-sd"))


@pytest.fixture(scope="session")
def checked_sd_folder(tmp_path_factory) -> Path:
    """The same with a safety checker shipped, one that flags every image."""
    return tiny_pipeline(tmp_path_factory.mktemp("tiny-sd-checked"), safety_checker=True, flag_everything=True)


@pytest.fixture(scope="session")
def sd(sd_folder):
    """The tiny pipeline loaded as ``text2image/sd-1.5`` from its folder."""
    return mmzoo.load("text2image/sd-1.5", weights=sd_folder, device="cpu")


@pytest.fixture(scope="session")
def photo() -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))


@pytest.fixture(scope="session")
def mask() -> Image.Image:
    """White (repaint) on the right half."""
    array = np.zeros((64, 64), dtype=np.uint8)
    array[:, 32:] = 255
    return Image.fromarray(array, mode="L")


@pytest.fixture(scope="session", autouse=True)
def _unload():
    yield
    mmzoo.clear_cache()
