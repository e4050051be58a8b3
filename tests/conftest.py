"""Sample media for the core's tests (the shared fixtures come from mmzoo.testing, mmzoo's pytest plugin)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmzoo.testing import asset


@pytest.fixture(scope="session")
def ocr_image() -> Path:
    return asset("ocr-example.png")


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.png"  # a text file wearing an image's name
    path.write_text("this is not an image\n")
    return path


@pytest.fixture
def empty_file(tmp_path: Path) -> Path:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    return path
