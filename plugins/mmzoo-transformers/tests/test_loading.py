"""Registration, the hub path (offline errors, a cached snapshot), weights formats and load options."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import mmzoo
from mmzoo.errors import InvalidInput, WeightsUnavailable
from mmzoo.testing import mmzoo_cli
from mmzoo_transformers.catalog import CATALOG

IDS = ["caption/blip-base", "caption/git-base-coco", "caption/vit-gpt2", "vqa/blip-vqa-base", "vqa/vilt-b32-vqa"]


def test_registered_with_pins_and_no_default():
    specs = {s.id: s for s in mmzoo.models()}
    for model_id in IDS:
        spec = specs[model_id]
        assert spec.plugin == "transformers" and not spec.default
        assert spec.weights.source == "hf" and spec.weights.repo == CATALOG[model_id].repo
        assert spec.weights.revision and spec.weights.size_mb and spec.weights.license
        assert spec.requires == ("torch", "transformers") and isinstance(spec.factory, str)


def test_listing_models_imports_no_torch():
    code = ("import sys, mmzoo; ids = [m.id for m in mmzoo.models('caption')]; "
            "assert 'caption/blip-base' in ids, ids; "
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'heavy import'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize("model_id", IDS)
def test_hub_id_offline_names_mmzoo_download(hf_offline, model_id):
    with pytest.raises(WeightsUnavailable) as caught:
        mmzoo.load(model_id, device="cpu")
    message = str(caught.value)
    hub = CATALOG[model_id]
    assert f"mmzoo download {model_id}" in message and hub.repo in message and hub.revision in message
    assert "MB" in message and "weights=" in message


def test_download_offline_is_weights_unavailable(hf_offline):
    spec = next(s for s in mmzoo.models("caption") if s.id == "caption/git-base-coco")
    with pytest.raises(WeightsUnavailable, match="mmzoo download caption/git-base-coco"):
        spec.resolve_factory().download(spec)


def test_cached_hub_snapshot_loads_offline(hf_offline, git_folder, images):
    """A snapshot of the pinned revision in the cache is all the hub id needs: no network call."""
    hub = CATALOG["caption/git-base-coco"]
    snapshot = hf_offline / f"models--{hub.repo.replace('/', '--')}" / "snapshots" / hub.revision
    shutil.copytree(git_folder, snapshot)
    model = mmzoo.load("caption/git-base-coco", device="cpu")
    reference = mmzoo.load("caption/git-base-coco", weights=git_folder, device="cpu")
    assert model.caption(images[:2], max_length=4) == reference.caption(images[:2], max_length=4)
    assert "cached at" in model.download(model.spec)  # already cached: nothing fetched


def test_models_tells_shipped_from_downloadable_and_sees_the_cache(unreachable_hub, blip_folder):
    rows = {r["id"]: r for r in json.loads(mmzoo_cli(unreachable_hub, "models", "--task", "caption", "--json").stdout)}
    assert rows["caption/shapes-sat"]["status"] == "ready" and rows["caption/shapes-sat"]["ready"]
    blip = rows["caption/blip-base"]
    assert (blip["status"], blip["ready"], blip["download_mb"]) == ("download 990 MB", False, 990)
    assert blip["hint"] == "mmzoo download caption/blip-base" and blip["weights"]["size_mb"] == 990
    table = mmzoo_cli(unreachable_hub, "models", "--task", "caption").stdout
    assert [line.split()[2:5] for line in table.splitlines() if "caption/blip-base" in line] == [
        ["download", "990", "MB"]]

    hub = CATALOG["caption/blip-base"]
    shutil.copytree(blip_folder, Path(unreachable_hub["HF_HOME"]) / "hub" / f"models--{hub.repo.replace('/', '--')}"
                    / "snapshots" / hub.revision)
    rows = {r["id"]: r for r in json.loads(mmzoo_cli(unreachable_hub, "models", "--task", "caption", "--json").stdout)}
    assert rows["caption/blip-base"]["status"] == "ready" and rows["caption/git-base-coco"]["status"] == "download 710 MB"


EXAMPLE = Path(mmzoo.__file__).parent / "assets" / "shapes-example.png"


@pytest.mark.parametrize("command", [["run", "caption", EXAMPLE, "-m", "caption/blip-base"],
                                     ["download", "caption/blip-base"]])
def test_unreachable_hub_fails_in_seconds_without_hf_hub_offline(unreachable_hub, command):
    """The hub library alone retries for ~25 s (more on a network that hangs) before giving up."""
    start = time.perf_counter()
    out = mmzoo_cli(unreachable_hub, *command)
    assert time.perf_counter() - start < 10, out.stderr
    assert out.returncode == 2 and out.stderr.startswith("error: caption/blip-base: ")
    assert "`mmzoo download caption/blip-base` (about 990 MB)" in out.stderr and "weights=" in out.stderr
    assert "unreachable" in out.stderr and "Retrying" not in out.stderr


def test_missing_or_incomplete_folder(tmp_path, blip_folder):
    with pytest.raises(WeightsUnavailable, match="does not exist"):
        mmzoo.load("caption/blip-base", weights=tmp_path / "nowhere")
    partial = tmp_path / "partial"
    shutil.copytree(blip_folder, partial)
    (partial / "model.safetensors").unlink()
    with pytest.raises(WeightsUnavailable, match="model.safetensors"):
        mmzoo.load("caption/blip-base", weights=partial)


def test_pickled_weights_load_weights_only(tmp_path, vilt_folder, images):
    """A folder with pytorch_model.bin (as some pinned revisions have) loads tensors only."""
    folder = tmp_path / "bin"
    shutil.copytree(vilt_folder, folder)
    (folder / "model.safetensors").unlink()
    reference = mmzoo.load("vqa/vilt-b32-vqa", weights=vilt_folder, device="cpu")
    torch.save(reference._model.state_dict(), folder / "pytorch_model.bin")
    model = mmzoo.load("vqa/vilt-b32-vqa", weights=folder, device="cpu")
    assert model.answer(images[:1], ["what colour?"], top_k=3) == reference.answer(images[:1], ["what colour?"], top_k=3)


class Boom:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('ran')",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_pickle_with_code_is_refused(tmp_path, monkeypatch, vilt_folder):
    folder = tmp_path / "evil"
    shutil.copytree(vilt_folder, folder)
    (folder / "model.safetensors").unlink()
    with open(folder / "pytorch_model.bin", "wb") as f:
        pickle.dump({"vilt.embeddings.cls_token": Boom()}, f)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidInput, match="refusing to load .*pytorch_model.bin.*safetensors"):
        mmzoo.load("vqa/vilt-b32-vqa", weights=folder, device="cpu")
    assert not (tmp_path / "PWNED").exists()


def test_dtype_and_device_options(vilt_folder, images):
    model = mmzoo.load("vqa/vilt-b32-vqa", weights=vilt_folder, device="cpu", dtype="bfloat16")
    assert next(model._model.parameters()).dtype == torch.bfloat16
    assert model.answer(images[:1], ["what colour?"])[0].answers
    with pytest.raises(InvalidInput, match="dtype"):
        mmzoo.load("vqa/vilt-b32-vqa", weights=vilt_folder, dtype="int3")
    with pytest.raises(InvalidInput, match="device"):
        mmzoo.load("vqa/vilt-b32-vqa", weights=vilt_folder, device="toaster")
