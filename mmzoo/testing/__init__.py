"""mmzoo's pytest plugin: the fixtures the core's and every plugin's tests share.

Installed with mmzoo (entry point ``pytest11``), so any test folder gets them with no conftest:

- ``register_plugin(obj, name)``: register a throwaway plugin for one test (unregistered after it);
  :func:`plugin_registered` is the same as a context manager.
- ``shapes_world(n=120, seed=3, audio=False, ocr=False)``: a small Shapes world, generated once
  per session for each set of arguments.
- ``app_url``: the app served on a free loopback port for one test; :func:`running_app` is the
  same as a context manager (register test plugins before entering it).
- ``chromium``: a headless Chromium (Debian's, driven by Playwright) for the session;
  :func:`open_tab` opens a page of the app on one of its tabs, :func:`choose_model` picks a tab's model.
- :func:`file_digests`: each file under a folder with its SHA-256 (determinism tests).
- ``artifacts``: the folder screenshots go to (``MMZOO_ARTIFACTS``, default ``artifacts/`` in the
  pytest root); :func:`asset` is the path of a file shipped in ``mmzoo/assets``.
- ``hf_offline``: an empty Hugging Face hub cache (yielded) and ``HF_HUB_OFFLINE=1``, in this process.
- ``unreachable_hub``: the environment of a fresh machine for a subprocess: an empty ``HF_HOME`` and a
  hub endpoint nothing listens on (``HF_HUB_OFFLINE`` unset); :func:`mmzoo_cli` runs ``mmzoo`` in it.

:mod:`mmzoo.testing.doubles` holds small deterministic models for the tasks (test doubles).
Nothing here imports torch or gradio until a fixture needs it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

CHROMIUM_FLAGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic")


def file_digests(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative POSIX path) -> its SHA-256: for "the same seed gives
    byte-identical files" tests."""
    import hashlib

    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(root).rglob("*")) if p.is_file()}


def asset(name: str) -> Path:
    """Path of a file shipped in ``mmzoo/assets`` (the app's offline examples)."""
    return Path(str(resources.files("mmzoo") / "assets" / name))


@contextlib.contextmanager
def plugin_registered(plugin: Any, name: str) -> Iterator[str]:
    """Register a plugin object for the duration of a block; always unregister it."""
    import mmzoo
    from mmzoo import plugins

    plugins.register_plugin(plugin, name=name)
    try:
        yield name
    finally:
        plugins.unregister_plugin(name)
        mmzoo.clear_cache()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_app() -> Iterator[str]:
    """Serve the app (on the plugins registered now) on a free loopback port; yield its URL."""
    from mmzoo.app import launch

    port = free_port()
    blocks = launch(port=port, block=False, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        blocks.close()


@contextlib.contextmanager
def open_tab(browser: Any, url: str, tab: str, height: int = 900) -> Iterator[Any]:
    """A page of the app at ``url``, shown once the tab named ``tab`` is there."""
    page = browser.new_page(viewport={"width": 1280, "height": height})
    try:
        page.goto(url)
        page.get_by_role("tab", name=tab).wait_for()
        yield page
    finally:
        page.close()


def choose_model(tab: Any, model_id: str) -> None:
    """Pick ``model_id`` in the model menu of ``tab`` (a Playwright locator) and wait until the menu
    shows it (its label: the id, then its state and summary); a test that depends on what the model
    change updates (voices, options) waits for that too."""
    import re

    from playwright.sync_api import expect

    menu = tab.locator(".mmzoo-model input").first
    menu.fill(model_id)
    menu.press("Enter")
    expect(menu).to_have_value(re.compile(rf"^{re.escape(model_id)}( |$)"))


@pytest.fixture
def register_plugin() -> Iterator[Callable[[Any, str], str]]:
    """``register_plugin(obj, name)`` inside a test; unregistered when the test ends."""
    with contextlib.ExitStack() as stack:
        yield lambda plugin, name: stack.enter_context(plugin_registered(plugin, name))


@pytest.fixture(scope="session")
def shapes_world(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``shapes_world(n=120, seed=3, audio=False, ocr=False)`` -> the folder of a generated Shapes world."""
    made: dict[tuple[Any, ...], Path] = {}

    def world(n: int = 120, seed: int = 3, audio: bool = False, ocr: bool = False) -> Path:
        key = (n, seed, audio, ocr)
        if key not in made:
            from mmzoo.data import shapes

            root = tmp_path_factory.mktemp(f"shapes-n{n}-seed{seed}")
            shapes.generate(root, n=n, seed=seed, audio=audio, ocr=ocr, workers=1)
            made[key] = root
        return made[key]

    return world


@pytest.fixture
def hf_offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """An empty Hugging Face hub cache (the folder is yielded) and no network, in this process."""
    import mmzoo
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # huggingface_hub read both at import time
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    mmzoo.clear_cache()
    yield tmp_path / "hub"
    mmzoo.clear_cache()


@pytest.fixture
def unreachable_hub(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine with an empty Hugging Face cache (``HF_HOME``) whose hub is unreachable:
    a loopback port nothing listens on, so no download can start even where there is internet, and
    ``HF_HUB_OFFLINE`` unset (what a real user without network has). For subprocesses (:func:`mmzoo_cli`)."""
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE")}
    return {**env, "HF_HOME": str(tmp_path / "hf"), "HF_ENDPOINT": f"http://127.0.0.1:{free_port()}"}


def mmzoo_cli(env: dict[str, str], *args: Any, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m mmzoo ARGS`` in ``env``; its exit status, stdout and stderr."""
    return subprocess.run([sys.executable, "-m", "mmzoo", *map(str, args)], env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def app_url() -> Iterator[str]:
    with running_app() as url:
        yield url


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A headless Chromium browser (Playwright's API) for the session."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("chromium is not installed: run scripts/setup.sh --test (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_FLAGS), headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def artifacts(pytestconfig: pytest.Config) -> Path:
    folder = Path(os.environ.get("MMZOO_ARTIFACTS") or pytestconfig.rootpath / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
