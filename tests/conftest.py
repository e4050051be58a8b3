"""Shared fixtures: throwaway plugins, sample media, a running app."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

import mmzoo
from mmzoo import plugins

sys.path.insert(0, str(Path(__file__).parent))  # so tests can import doubles.py and apptools.py
from apptools import ARTIFACTS, ROOT, running_app  # noqa: E402


@contextlib.contextmanager
def plugin_registered(plugin: Any, name: str) -> Iterator[str]:
    """Register a plugin object for the duration of a block; always unregister it."""
    plugins.register_plugin(plugin, name=name)
    try:
        yield name
    finally:
        plugins.unregister_plugin(name)
        mmzoo.clear_cache()


@pytest.fixture
def register_plugin():
    """``register_plugin(obj, name)`` inside a test; unregistered when the test ends."""
    with contextlib.ExitStack() as stack:
        yield lambda plugin, name: stack.enter_context(plugin_registered(plugin, name))


@pytest.fixture(scope="session")
def ocr_image() -> Path:
    return ROOT / "mmzoo" / "assets" / "ocr-example.png"


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


@pytest.fixture
def app_url() -> Iterator[str]:
    with running_app() as url:
        yield url


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
