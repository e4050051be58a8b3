"""Registration and the hub path of the Stable Diffusion models: pins, offline errors, a fake cached
snapshot, what is fetched, safetensors only, the safety checker and the load options."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import mmzoo
from mmzoo.errors import InvalidInput, WeightsUnavailable
from mmzoo.testing import mmzoo_cli
from mmzoo_diffusers.catalog import CATALOG
from mmzoo_diffusers.hub import incomplete, wanted

IDS = ["text2image/sd-1.5", "text2image/bk-sdm-tiny"]


def snapshot(cache: Path, model_id: str) -> Path:
    hub = CATALOG[model_id]
    return cache / f"models--{hub.repo.replace('/', '--')}" / "snapshots" / hub.revision


def test_registered_with_pins_and_licences():
    specs = {s.id: s for s in mmzoo.models("text2image")}
    for model_id in IDS:
        spec, hub = specs[model_id], CATALOG[model_id]
        assert spec.plugin == "diffusers" and not spec.default and isinstance(spec.factory, str)
        assert (spec.weights.source, spec.weights.repo, spec.weights.revision) == ("hf", hub.repo, hub.revision)
        assert len(hub.revision) == 40 and spec.weights.size_mb > 1000
        assert spec.weights.license == "CreativeML OpenRAIL-M"
    assert mmzoo.models("text2image")[0].id == "text2image/shapes-diffusion"  # still the default


def test_mmzoo_models_imports_no_torch():
    """`mmzoo models` imports the plugin module; -X importtime lists every module it imported."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "mmzoo", "models", "--task", "text2image"],
                         capture_output=True, text=True, timeout=60, check=True)
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in out.stderr.splitlines() if "|" in line}
    assert "mmzoo_diffusers" in imported and "text2image/sd-1.5" in out.stdout
    assert not {"torch", "diffusers", "transformers", "huggingface_hub"} & imported


@pytest.mark.parametrize("model_id", IDS)
def test_offline_load_and_download_fail_in_seconds_naming_mmzoo_download(hf_offline, model_id):
    spec, hub = next(s for s in mmzoo.models("text2image") if s.id == model_id), CATALOG[model_id]
    for attempt in (lambda: mmzoo.load(model_id, device="cpu"), lambda: spec.resolve_factory().download(spec)):
        start = time.perf_counter()
        with pytest.raises(WeightsUnavailable) as caught:
            attempt()
        assert time.perf_counter() - start < 5  # before torch and diffusers are even imported
        needles = (f"mmzoo download {model_id}` (about {hub.size_mb:.0f} MB)", hub.repo, hub.revision, "weights=<")
        assert all(needle in str(caught.value) for needle in needles), str(caught.value)


def test_cached_snapshot_loads_offline_like_the_folder(hf_offline, sd_folder):
    """A snapshot of the pinned revision in the cache is all the hub id needs: no network call."""
    shutil.copytree(sd_folder, snapshot(hf_offline, "text2image/bk-sdm-tiny"))
    model = mmzoo.load("text2image/bk-sdm-tiny", device="cpu")
    reference = mmzoo.load("text2image/bk-sdm-tiny", weights=sd_folder, device="cpu")
    made = mmzoo.run("text2image", "a red circle", model=model, seed=4, steps=2)
    expected = mmzoo.run("text2image", "a red circle", model=reference, seed=4, steps=2)
    assert np.array_equal(np.asarray(made.image), np.asarray(expected.image))
    assert made.parameters["revision"] == CATALOG["text2image/bk-sdm-tiny"].revision
    assert made.parameters["model"] == "text2image/bk-sdm-tiny" and expected.parameters["revision"] is None
    assert "cached at" in model.download(model.spec)  # already there: nothing fetched


@pytest.mark.parametrize("command", [["run", "text2image", "a red circle", "-m", "text2image/sd-1.5", "-o", "x.png"],
                                     ["download", "text2image/sd-1.5"]])
def test_unreachable_hub_fails_in_seconds(unreachable_hub, tmp_path, command):
    """The hub library alone retries for ~25 s before giving up; mmzoo asks once, for at most 5 s."""
    start = time.perf_counter()
    out = mmzoo_cli(unreachable_hub, *[tmp_path / arg if arg == "x.png" else arg for arg in command])
    assert time.perf_counter() - start < 15, out.stderr
    assert out.returncode == 2 and out.stderr.startswith("error: text2image/sd-1.5: "), out.stderr
    assert "`mmzoo download text2image/sd-1.5` (about 5480 MB)" in out.stderr and "unreachable" in out.stderr


def test_models_shows_download_until_the_snapshot_is_cached(unreachable_hub, sd_folder):
    def rows():
        out = mmzoo_cli(unreachable_hub, "models", "--task", "text2image", "--json").stdout
        return {r["id"]: r for r in json.loads(out)}

    assert rows()["text2image/sd-1.5"]["status"] == "download 5480 MB"
    shutil.copytree(sd_folder, snapshot(Path(unreachable_hub["HF_HOME"]) / "hub", "text2image/sd-1.5"))
    after = rows()
    assert after["text2image/sd-1.5"]["status"] == "ready" and after["text2image/bk-sdm-tiny"]["status"] != "ready"


def test_only_fp32_safetensors_of_components_are_fetched():
    assert wanted("unet/diffusion_pytorch_model.safetensors") and wanted("text_encoder/model.safetensors")
    assert wanted("unet/diffusion_pytorch_model-00001-of-00002.safetensors") and wanted("tokenizer/merges.txt")
    assert wanted("unet/config.json") and wanted("tokenizer/vocab.json")
    for name in ("unet/diffusion_pytorch_model.fp16.safetensors", "unet/diffusion_pytorch_model.non_ema.safetensors",
                 "unet/diffusion_pytorch_model.bin", "text_encoder/flax_model.msgpack", "unet/model.onnx"):
        assert not wanted(name), name


def test_missing_incomplete_or_pickled_folders(tmp_path, sd_folder):
    with pytest.raises(WeightsUnavailable, match="does not exist"):
        mmzoo.load("text2image/sd-1.5", weights=tmp_path / "nowhere")
    with pytest.raises(WeightsUnavailable, match="model_index.json"):
        mmzoo.load("text2image/sd-1.5", weights=tmp_path)
    pickled = tmp_path / "pickled"
    shutil.copytree(sd_folder, pickled)
    weights = pickled / "unet" / "diffusion_pytorch_model.safetensors"
    from safetensors.torch import load_file

    torch.save(load_file(weights), weights.with_suffix(".bin"))
    weights.unlink()
    assert incomplete(pickled) == ["unet/*.safetensors"]
    with pytest.raises(WeightsUnavailable, match=r"unet/\*.safetensors .*only safetensors"):
        mmzoo.load("text2image/sd-1.5", weights=pickled)


def black(image) -> bool:
    return not np.asarray(image).any()


def test_the_shipped_safety_checker_runs_and_can_be_turned_off(checked_sd_folder, caplog):
    from mmzoo_diffusers.stable_diffusion import StableDiffusion15

    checked = mmzoo.load("text2image/sd-1.5", weights=checked_sd_folder, device="cpu")
    assert checked.components["safety_checker"] is not None
    result = mmzoo.run("text2image", "a red circle", model=checked, seed=0, steps=2)
    assert black(result.image)  # this checker flags everything: diffusers blacks the image out
    assert result.parameters["safety_checker"] is True and result.parameters["nsfw_content_detected"] is True
    with caplog.at_level(logging.WARNING):  # a load option, through mmzoo.load (its own cache entry)
        unchecked = mmzoo.load("text2image/sd-1.5", weights=checked_sd_folder, device="cpu", safety_checker=False)
    assert unchecked is not checked and isinstance(unchecked, StableDiffusion15)
    assert unchecked.components["safety_checker"] is None
    assert not [r for r in caplog.records if "safety" in r.getMessage().lower()]  # requires_safety_checker=False
    result = mmzoo.run("text2image", "a red circle", model=unchecked, seed=0, steps=2)
    assert not black(result.image) and result.parameters["safety_checker"] is False
    assert "nsfw_content_detected" not in result.parameters


def test_cpu_offload_needs_cuda(sd_folder):
    from mmzoo_diffusers.stable_diffusion import StableDiffusion15

    with pytest.raises(InvalidInput, match="cpu_offload=True needs a CUDA GPU"):
        StableDiffusion15(weights=sd_folder, device="cpu", cpu_offload=True)
    with pytest.raises(InvalidInput, match="cpu_offload=True needs a CUDA GPU"):
        mmzoo.load("text2image/sd-1.5", weights=sd_folder, device="cpu", cpu_offload=True)
    with pytest.raises(InvalidInput, match="no option 'offload'"):
        mmzoo.load("text2image/sd-1.5", weights=sd_folder, device="cpu", offload=True)
