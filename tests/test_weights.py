"""Model status (ready, or what is missing) from the libraries' cache layouts, and the quick hub probe."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner

import mmzoo
from mmzoo.cli import cli
from mmzoo.tasks.ocr import OCRModel
from mmzoo.weights import hf_hub_cache, missing_files, torch_hub_checkpoints, unreachable

COMMIT = "0123456789abcdef0123456789abcdef01234567"
HUB = mmzoo.Weights(source="hf", repo="org/tiny-model", revision=COMMIT, size_mb=990)
CACHE_VARS = ("HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "XDG_CACHE_HOME", "TORCH_HOME")


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """Empty Hugging Face and torch caches under tmp_path, set the way users set them (HF_HOME, TORCH_HOME)."""
    for var in CACHE_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:  # imported by an earlier test: it read the environment then, so set what it read
        monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    return tmp_path


def spec(**fields) -> mmzoo.ModelSpec:
    return mmzoo.ModelSpec(**{"id": "ocr/test", "summary": "a test model", "factory": OCRModel, **fields})


def snapshot(root, repo: str, commit: str, *files: str, branch: str | None = None):
    folder = root / "hf" / "hub" / f"models--{repo.replace('/', '--')}"
    for name in files:
        (folder / "snapshots" / commit / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / "snapshots" / commit / name).write_text("{}")
    if branch:
        (folder / "refs").mkdir(parents=True, exist_ok=True)
        (folder / "refs" / branch).write_text(commit)
    return folder / "snapshots" / commit


def test_shipped_and_system_models_are_ready(caches):
    for weights in (mmzoo.Weights(source="package", size_mb=3), mmzoo.Weights(source="system")):
        status = spec(weights=weights, binaries=("sh",), requires=("json",)).status()
        assert status.ready and status.text == "ready" and not status.missing and status.download_mb is None


def test_what_is_not_installed_comes_first(caches):
    status = spec(binaries=("no-such-ocr-engine",), install_hint="apt-get install ghost-ocr", weights=HUB).status()
    assert (status.ready, status.text, status.hint) == (False, "needs no-such-ocr-engine", "apt-get install ghost-ocr")
    assert status.missing == ("program 'no-such-ocr-engine'",)
    status = spec(requires=("json", "no_such_package.models", "open_clip_missing")).status()
    assert status.text == "needs pip install no_such_package open_clip_missing"
    assert status.hint == "pip install no_such_package open_clip_missing"


def test_hf_weights_are_ready_once_the_pinned_snapshot_has_a_weights_file(caches):
    status = spec(weights=HUB).status()
    assert (status.ready, status.text, status.download_mb, status.hint) == (False, "download 990 MB", 990,
                                                                           "mmzoo download ocr/test")
    assert status.missing[0].startswith(f"org/tiny-model@{COMMIT} weights")
    snapshot(caches, HUB.repo, COMMIT, "config.json")
    assert spec(weights=HUB).status().text == "download 990 MB"  # a config alone does not run
    snapshot(caches, HUB.repo, "f" * 40, "config.json", "model.safetensors")
    assert spec(weights=HUB).status().text == "download 990 MB"  # another revision does not count
    snapshot(caches, HUB.repo, COMMIT, "model.safetensors")
    assert spec(weights=HUB).status().ready


def test_a_branch_revision_resolves_through_refs_and_files_can_be_named(caches):
    weights = mmzoo.Weights(source="hf", repo="org/branchy", revision="main", files=("a.onnx", "b.json"))
    assert missing_files(weights) == ["org/branchy@main/a.onnx", "org/branchy@main/b.json"]
    snapshot(caches, "org/branchy", COMMIT, "a.onnx", "b.json", branch="main")
    assert missing_files(weights) == []


def test_open_clip_tags_are_looked_up_where_open_clip_caches_them(caches):
    weights = mmzoo.Weights(source="open_clip", repo="ViT-X/tag", hf_hub="org/clip-x/", size_mb=600)
    assert spec(weights=weights).status().text == "download 600 MB"
    snapshot(caches, "org/clip-x", COMMIT, "open_clip_pytorch_model.bin", branch="main")
    assert spec(weights=weights).status().ready
    named = mmzoo.Weights(source="open_clip", repo="ViT-X/other", hf_hub="org/clip-y/weights.pth")
    snapshot(caches, "org/clip-y", COMMIT, "weights.safetensors", branch="main")  # open_clip takes the twin first
    assert missing_files(named) == []
    assert missing_files(mmzoo.Weights(source="open_clip", repo="ViT-X/url-only")) == ["open_clip weights ViT-X/url-only"]


def test_torchaudio_checkpoints_are_looked_up_in_torch_home(caches):
    weights = mmzoo.Weights(source="torchaudio", repo="TACOTRON2_X", files=("taco.pth", "vocoder.pth"), size_mb=124)
    assert spec(weights=weights).status().text == "download 124 MB"
    checkpoints = caches / "torch" / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    (checkpoints / "taco.pth").write_bytes(b"x")
    assert missing_files(weights) == [str(checkpoints / "vocoder.pth")]
    (checkpoints / "vocoder.pth").write_bytes(b"x")
    assert spec(weights=weights).status().ready


def test_a_model_without_published_weights_needs_a_folder(caches):
    status = spec(weights=mmzoo.Weights(source="user")).status()
    assert not status.ready and status.text == "needs weights=DIR" and "weights=" in status.hint


@pytest.mark.parametrize("env", [
    {"HF_HOME": "/tmp/x-home", "TORCH_HOME": "~/x-torch"},
    {"XDG_CACHE_HOME": "/tmp/x-xdg", "HUGGINGFACE_HUB_CACHE": "/tmp/x-legacy"},
    {"HF_HOME": "/tmp/x-home", "HUGGINGFACE_HUB_CACHE": "/tmp/x-legacy", "HF_HUB_CACHE": "~/x-hub"},
])
def test_cache_folders_agree_with_the_libraries(env):
    """The pure path logic finds the folders huggingface_hub and torch.hub themselves use."""
    code = ("import os, sys; from mmzoo.weights import hf_hub_cache, torch_hub_checkpoints; "
            "ours = [str(hf_hub_cache()), str(torch_hub_checkpoints())]; "
            "assert 'huggingface_hub' not in sys.modules and 'torch' not in sys.modules; "
            "import torch.hub; from huggingface_hub import constants; "
            "assert ours == [constants.HF_HUB_CACHE, os.path.join(torch.hub.get_dir(), 'checkpoints')], ours")
    clean = {k: v for k, v in os.environ.items() if k not in CACHE_VARS}
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_a_cached_file_is_where_huggingface_hub_finds_it(caches):
    from huggingface_hub import try_to_load_from_cache

    folder = snapshot(caches, "org/agree", COMMIT, "model.safetensors", branch="main")
    weights = mmzoo.Weights(source="hf", repo="org/agree", revision="main")
    assert missing_files(weights) == [] and hf_hub_cache() == caches / "hf" / "hub"
    found = try_to_load_from_cache("org/agree", "model.safetensors", cache_dir=hf_hub_cache(), revision="main")
    assert found == str(folder / "model.safetensors")


def test_models_command_shows_the_status_in_the_table_and_json(caches, register_plugin):
    class Plugin:
        @mmzoo.hookimpl
        def register_models(self, register):
            register(spec(id="ocr/ghost", binaries=("no-such-ocr-engine",), install_hint="apt-get install ghost"))
            register(spec(id="ocr/hubbed", weights=HUB))

    register_plugin(Plugin(), "status-test")
    runner = CliRunner()
    table = runner.invoke(cli, ["models", "--task", "ocr"]).output.splitlines()
    row = {line.lstrip("* ").split()[0]: line for line in table[1:]}
    assert "STATUS" in table[0] and "download 990 MB" in row["ocr/hubbed"]
    assert "needs no-such-ocr-engine" in row["ocr/ghost"]
    rows = {r["id"]: r for r in json.loads(runner.invoke(cli, ["models", "--task", "ocr", "--json"]).output)}
    assert rows["ocr/tesseract"]["status"] == "ready" and rows["ocr/tesseract"]["ready"] is True
    assert rows["ocr/ghost"].items() >= {"status": "needs no-such-ocr-engine", "ready": False,
                                         "missing": ["program 'no-such-ocr-engine'"],
                                         "hint": "apt-get install ghost"}.items()
    assert rows["ocr/hubbed"].items() >= {"status": "download 990 MB", "ready": False, "download_mb": 990,
                                          "hint": "mmzoo download ocr/hubbed"}.items()
    assert rows["ocr/hubbed"]["weights"]["repo"] == "org/tiny-model"  # the keys it had before stay
    snapshot(caches, HUB.repo, COMMIT, "model.safetensors")
    rows = {r["id"]: r for r in json.loads(runner.invoke(cli, ["models", "--task", "ocr", "--json"]).output)}
    assert rows["ocr/hubbed"]["status"] == "ready" and rows["ocr/hubbed"]["download_mb"] is None
    doctor = runner.invoke(cli, ["doctor"]).output
    assert "ocr/ghost" in doctor and "needs no-such-ocr-engine (apt-get install ghost)" in doctor
    assert f"HF hub       {caches / 'hf' / 'hub'}" in doctor


# -- the probe ------------------------------------------------------------------------------------


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def silent_port():
    """A server that accepts connections and never answers: a network that hangs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


@pytest.fixture
def http_port():
    """A server that answers every request with 404 (any answer means the server is reachable)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_probe_reports_a_dead_or_silent_server_within_its_timeout(closed_port, silent_port, http_port):
    assert "refused" in unreachable(f"http://127.0.0.1:{closed_port}/", timeout=2).lower()
    start = time.perf_counter()
    assert "127.0.0.1" in unreachable(f"http://127.0.0.1:{silent_port}/", timeout=1)
    assert time.perf_counter() - start < 1.5
    assert unreachable(f"http://127.0.0.1:{http_port}/", timeout=2) is None


def test_hub_probe_uses_the_hub_endpoint_and_offline_switch(monkeypatch, closed_port, http_port):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{http_port}")
    assert unreachable(timeout=2) is None
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{closed_port}")
    assert f"127.0.0.1:{closed_port} unreachable" in unreachable(timeout=2)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert "HF_HUB_OFFLINE=1" in unreachable(timeout=2)
