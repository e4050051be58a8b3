"""retrieve/clip-*: a tiny random open_clip model, saved the way open_clip hub repositories are laid out,
loaded through the same code as the hub tags; offline hub tags raise WeightsUnavailable."""

from __future__ import annotations

import json
import math
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import mmzoo
from mmzoo.errors import InvalidInput, WeightsUnavailable
from mmzoo_clip import MODELS, ClipViTB32Laion2B, ClipViTB32OpenAI, OpenCLIP

# A 1-layer ViT and text transformer; the real BPE vocabulary (SimpleTokenizer) needs vocab_size 49408.
TINY = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "patch_size": 16, "layers": 1, "width": 32, "head_width": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}
LOGIT_SCALE = 50.0  # not open_clip's initial 1/0.07: proves the saved weights are the ones loaded
TEXTS = ["a red circle", "a blue square on the left", "two green triangles", "a dog", "", "a photo of a cat " * 10]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, torch.nn.Module]:
    """A folder with open_clip_config.json + open_clip_model.safetensors, and the model it holds."""
    import open_clip
    from safetensors.torch import save_file

    torch.manual_seed(0)
    model = open_clip.CLIP(**TINY).eval()
    with torch.no_grad():
        model.logit_scale.fill_(math.log(LOGIT_SCALE))
    folder = tmp_path_factory.mktemp("tiny-clip")
    config = {"model_cfg": TINY, "preprocess_cfg": {"mean": list(open_clip.OPENAI_DATASET_MEAN),
                                                    "std": list(open_clip.OPENAI_DATASET_STD)}}
    (folder / "open_clip_config.json").write_text(json.dumps(config))
    save_file(model.state_dict(), folder / "open_clip_model.safetensors")
    # Also an architecture name, for sources that are a bare weights file.
    configs = tmp_path_factory.mktemp("configs")
    (configs / "mmzoo-test-tiny.json").write_text(json.dumps(TINY))
    open_clip.add_model_config(configs)
    yield folder, model
    mmzoo.clear_cache()


@pytest.fixture(scope="module")
def images() -> list[Image.Image]:
    rng = np.random.default_rng(0)
    sizes = [(32, 32), (64, 40), (20, 50), (100, 100), (48, 32)]
    return [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for w, h in sizes] + [
        Image.new("L", (40, 40), 128)]  # greyscale: converted to RGB


def reference_embeddings(model: torch.nn.Module, folder: Path, texts, pictures) -> tuple[np.ndarray, np.ndarray]:
    """What open_clip itself computes with the in-memory model, its tokenizer and its preprocessing."""
    import open_clip

    _, _, preprocess = open_clip.create_model_and_transforms(f"local-dir:{folder}")
    tokens = open_clip.get_tokenizer(f"local-dir:{folder}")(texts)
    with torch.no_grad():
        text = model.encode_text(tokens, normalize=True).numpy()
        image = model.encode_image(torch.stack([preprocess(p.convert("RGB")) for p in pictures]), normalize=True)
    return text, image.numpy()


def assert_unit_rows(x: np.ndarray, count: int) -> None:
    assert x.dtype == np.float32 and x.shape == (count, TINY["embed_dim"])
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)


def test_weights_folder_loads_the_saved_model(tiny, images):
    folder, reference = tiny
    loaded = mmzoo.load("retrieve/clip-vit-b-32-openai", weights=folder, device="cpu")
    text, image = loaded.embed_texts(TEXTS), loaded.embed_images(images)
    assert_unit_rows(text, len(TEXTS))
    assert_unit_rows(image, len(images))
    want_text, want_image = reference_embeddings(reference, folder, TEXTS, images)
    np.testing.assert_allclose(text, want_text, atol=1e-5)
    np.testing.assert_allclose(image, want_image, atol=1e-5)
    assert loaded.logit_scale == pytest.approx(LOGIT_SCALE, rel=1e-5)
    assert loaded.device == "cpu" and loaded.spec.id == "retrieve/clip-vit-b-32-openai"


@pytest.mark.parametrize("options", [
    lambda folder: {"pretrained": f"local-dir:{folder}"},
    lambda folder: {"model_name": f"local-dir:{folder}"},
    lambda folder: {"weights": str(folder)},
    lambda folder: {"weights": folder / "open_clip_model.safetensors", "model_name": "mmzoo-test-tiny"},
], ids=["pretrained=local-dir", "model_name=local-dir", "weights=folder", "weights=file"])
def test_every_local_source_gives_the_same_embeddings(tiny, images, options):
    folder, _ = tiny
    expected = mmzoo.load("retrieve/clip-vit-b-32-laion2b", weights=folder, device="cpu")
    model = ClipViTB32Laion2B(device="cpu", **options(folder))
    np.testing.assert_allclose(model.embed_texts(TEXTS), expected.embed_texts(TEXTS), atol=1e-6)
    np.testing.assert_allclose(model.embed_images(images), expected.embed_images(images), atol=1e-6)


def test_batches_equal_one_at_a_time_and_runs_repeat(tiny, images):
    folder, _ = tiny
    model = OpenCLIP(pretrained=f"local-dir:{folder}", device="cpu", batch_size=4)
    batched_text, batched_image = model.embed_texts(TEXTS), model.embed_images(images)
    single_text = np.concatenate([model.embed_texts([t]) for t in TEXTS])
    single_image = np.concatenate([model.embed_images([i]) for i in images])
    np.testing.assert_allclose(batched_text, single_text, atol=1e-5)
    np.testing.assert_allclose(batched_image, single_image, atol=1e-5)
    np.testing.assert_array_equal(model.embed_texts(TEXTS), batched_text)  # deterministic
    np.testing.assert_array_equal(model.embed_images(images), batched_image)
    assert len({tuple(np.round(row, 4)) for row in batched_text}) == len(TEXTS)  # distinct inputs, distinct rows


def test_templates_and_logit_scale_for_zero_shot(tiny):
    import open_clip

    model = OpenCLIP(pretrained=f"local-dir:{tiny[0]}", device="cpu")
    assert len(model.templates) == len(open_clip.OPENAI_IMAGENET_TEMPLATES) == 80
    assert all(t.count("{}") == 1 for t in model.templates)
    assert [t.format("dog") for t in model.templates] == [f("dog") for f in open_clip.OPENAI_IMAGENET_TEMPLATES]
    assert isinstance(model.logit_scale, float) and model.logit_scale == pytest.approx(LOGIT_SCALE, rel=1e-5)


def test_retrieve_task_runs_with_the_tiny_model(tiny, images):
    model = mmzoo.load("retrieve/clip-vit-b-32-laion2b", weights=tiny[0], device="cpu")
    result = mmzoo.run("retrieve", text="a red circle", images=images, model=model, k=3)
    scores = model.embed_images(images) @ model.embed_texts(["a red circle"])[0]
    assert [h.index for h in result.hits] == list(np.argsort(-scores)[:3])
    assert [h.score for h in result.hits] == pytest.approx(sorted(scores, reverse=True)[:3], abs=1e-5)

    gallery = TEXTS[:4]  # the task refuses empty gallery texts
    by_image = mmzoo.run("retrieve", image=images[0], texts=gallery, model=model, k=len(gallery))
    scores = model.embed_texts(gallery) @ model.embed_images(images[:1])[0]
    assert [h.index for h in by_image.hits] == list(np.argsort(-scores))
    assert [h.item for h in by_image.hits] == [gallery[i] for i in np.argsort(-scores)]


def test_zero_shot_labels_use_the_models_templates_and_logit_scale(tiny, images):
    import inspect

    from mmzoo.plugins import get_registry

    if "labels" not in inspect.signature(get_registry().task("retrieve").run).parameters:
        pytest.skip("this mmzoo's retrieve task has no zero-shot labels")
    model = mmzoo.load("retrieve/clip-vit-b-32-laion2b", weights=tiny[0], device="cpu")
    labels = ["red circle", "blue square", "dog"]
    result = mmzoo.run("retrieve", image=images[1], labels=labels, model=model)
    text = np.stack([model.embed_texts([t.format(label) for t in model.templates]).mean(axis=0) for label in labels])
    cosine = (text / np.linalg.norm(text, axis=1, keepdims=True)) @ model.embed_images(images[1:2])[0]
    probabilities = np.exp(LOGIT_SCALE * cosine) / np.exp(LOGIT_SCALE * cosine).sum()
    got = {s.label: s for s in result.labels}
    assert [got[label].score for label in labels] == pytest.approx(cosine, abs=1e-5)
    assert [got[label].probability for label in labels] == pytest.approx(probabilities, abs=1e-4)


def test_bfloat16_gives_float32_unit_rows_close_to_float32(tiny, images):
    folder, _ = tiny
    full = OpenCLIP(pretrained=f"local-dir:{folder}", device="cpu")
    half = OpenCLIP(pretrained=f"local-dir:{folder}", device="cpu", dtype="bfloat16")
    for embed in ("embed_texts", "embed_images"):
        items = TEXTS if embed == "embed_texts" else images
        low, high = getattr(half, embed)(items), getattr(full, embed)(items)
        assert_unit_rows(low, len(items))
        assert np.min(np.sum(low * high, axis=1)) > 0.98  # cosine similarity to the float32 rows


def test_pickled_checkpoints_load_only_weights(tiny, tmp_path):
    folder, reference = tiny
    open_clip_dir = tmp_path / "bin"
    open_clip_dir.mkdir()
    (open_clip_dir / "open_clip_config.json").write_text((folder / "open_clip_config.json").read_text())
    torch.save(reference.state_dict(), open_clip_dir / "open_clip_pytorch_model.bin")
    model = OpenCLIP(pretrained=str(open_clip_dir), device="cpu")  # plain tensors: fine
    np.testing.assert_allclose(model.embed_texts(TEXTS), OpenCLIP(pretrained=str(folder)).embed_texts(TEXTS),
                               atol=1e-6)

    torch.save({"state_dict": reference.state_dict(), "note": Path("/etc")}, open_clip_dir / "open_clip_pytorch_model.bin")
    with pytest.raises(InvalidInput, match=r"refusing to load .*weights_only=True"):
        OpenCLIP(pretrained=str(open_clip_dir), device="cpu")


@pytest.fixture
def offline_hub(tmp_path, monkeypatch):
    """An empty Hugging Face cache and no network, as on a fresh offline machine."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))  # read at import time
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return tmp_path


@pytest.mark.parametrize("model_id", ["retrieve/clip-vit-b-32-openai", "retrieve/clip-vit-b-16-laion2b"])
def test_hub_tag_offline_raises_weights_unavailable(offline_hub, model_id):
    with pytest.raises(WeightsUnavailable) as error:
        mmzoo.load(model_id, device="cpu")
    message = str(error.value)
    assert f"`mmzoo download {model_id}`" in message and "weights=" in message
    assert str(offline_hub / "hf" / "hub") in message  # says where it looked
    spec = next(s for s in mmzoo.models("retrieve") if s.id == model_id)
    assert f"open_clip weights {spec.weights.repo}" in message
    with pytest.raises(WeightsUnavailable, match="mmzoo download"):
        spec.resolve_factory().download(spec)  # what `mmzoo download` calls
    assert not any((offline_hub / "hf" / "hub").glob("models--*/snapshots/*/*"))  # nothing fake was cached


def test_cached_hub_tag_loads_offline(tiny, offline_hub, monkeypatch, images):
    """A pretrained tag whose weights sit in the Hugging Face cache loads with the hub unreachable."""
    from open_clip import pretrained

    folder, reference = tiny
    snapshot = offline_hub / "hf" / "hub" / "models--mmzoo--tiny-clip" / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (snapshot.parents[1] / "refs").mkdir()
    (snapshot.parents[1] / "refs" / "main").write_text("0" * 40)
    (snapshot / "open_clip_model.safetensors").write_bytes((folder / "open_clip_model.safetensors").read_bytes())
    monkeypatch.setitem(pretrained._PRETRAINED, "mmzoo-test-tiny", {"tiny": pretrained._pcfg(hf_hub="mmzoo/tiny-clip/")})

    class TinyTag(OpenCLIP):
        model_id, model_name, pretrained = "retrieve/tiny-tag", "mmzoo-test-tiny", "tiny"

    spec = mmzoo.ModelSpec(id=TinyTag.model_id, summary="tiny", factory=TinyTag)
    assert str(snapshot / "open_clip_model.safetensors") in TinyTag.download(spec)
    model = TinyTag(device="cpu")
    want_text, want_image = reference_embeddings(reference, folder, TEXTS, images)
    np.testing.assert_allclose(model.embed_texts(TEXTS), want_text, atol=1e-5)
    np.testing.assert_allclose(model.embed_images(images), want_image, atol=1e-5)

    # A tag trained with QuickGELU (as OpenAI's are) gets it: the same weights then embed differently.
    import open_clip

    pretrained._PRETRAINED["mmzoo-test-tiny"]["tiny"]["quick_gelu"] = True
    quick = TinyTag(device="cpu")
    assert any(isinstance(m, open_clip.model.QuickGELU) for m in quick._model.modules())
    assert not any(isinstance(m, open_clip.model.QuickGELU) for m in model._model.modules())
    assert not np.allclose(quick.embed_texts(TEXTS), want_text, atol=1e-4)

    # The same repository as an `hf-hub:` source: config and weights both come from the cache.
    (snapshot / "open_clip_config.json").write_text((folder / "open_clip_config.json").read_text())
    from_repo = ClipViTB32OpenAI(pretrained="hf-hub:mmzoo/tiny-clip", device="cpu")
    np.testing.assert_allclose(from_repo.embed_texts(TEXTS), want_text, atol=1e-5)


def test_status_looks_where_open_clip_caches_the_tag(offline_hub):
    """`mmzoo models` (no open_clip import) and open_clip itself agree on where a tag's weights are cached."""
    from open_clip import pretrained

    for cls in MODELS:
        assert cls.hf_hub == pretrained.get_pretrained_cfg(cls.model_name, cls.pretrained)["hf_hub"]
    spec = next(s for s in mmzoo.models("retrieve") if s.id == ClipViTB32OpenAI.model_id)
    assert spec.status().text == "download 605 MB" and spec.weights.hf_hub == ClipViTB32OpenAI.hf_hub
    repo = offline_hub / "hf" / "hub" / "models--timm--vit_base_patch32_clip_224.openai"
    weights = repo / "snapshots" / ("0" * 40) / "open_clip_model.safetensors"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"not real weights")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    assert spec.status().ready
    assert pretrained.download_pretrained(pretrained.get_pretrained_cfg("ViT-B-32", "openai")) == str(weights)


def test_unreachable_hub_fails_in_seconds_without_hf_hub_offline(offline_hub, monkeypatch):
    from huggingface_hub import constants

    with socket.socket() as sock:  # a port nothing listens on: no download can start, even with internet
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{port}")
    start = time.perf_counter()
    with pytest.raises(WeightsUnavailable, match=r"retrieve/clip-vit-b-32-laion2b: .*unreachable.*mmzoo download"):
        mmzoo.load("retrieve/clip-vit-b-32-laion2b", device="cpu")
    assert time.perf_counter() - start < 5  # the hub library alone retries for ~25 s per file


def test_hf_hub_source_offline_raises_weights_unavailable(offline_hub):
    with pytest.raises(WeightsUnavailable, match="hub repository laion/CLIP-ViT-B-32-laion2B-s34B-b79K"):
        ClipViTB32OpenAI(pretrained="hf-hub:laion/CLIP-ViT-B-32-laion2B-s34B-b79K", device="cpu")


def test_bad_sources_and_options_are_clear_errors(tiny, tmp_path):
    folder, _ = tiny
    with pytest.raises(InvalidInput, match="pretrained tag .*laion2b_s34b_b79k"):
        OpenCLIP(pretrained="no_such_tag", device="cpu")
    with pytest.raises(WeightsUnavailable, match="does not exist"):
        mmzoo.load("retrieve/clip-vit-b-32-openai", weights=tmp_path / "missing" / "model.safetensors")
    with pytest.raises(WeightsUnavailable, match="open_clip_config.json is missing"):
        OpenCLIP(weights=tmp_path, device="cpu")
    with pytest.raises(InvalidInput, match="unsupported dtype"):
        OpenCLIP(pretrained=f"local-dir:{folder}", dtype="int8")
    with pytest.raises(InvalidInput, match="unknown open_clip architecture"):
        OpenCLIP(model_name="ViT-Nope", pretrained="openai")
    model = OpenCLIP(pretrained=f"local-dir:{folder}", device="cpu")
    with pytest.raises(InvalidInput, match="empty"):
        model.embed_texts([])
    model.close()
    with pytest.raises(InvalidInput, match="closed"):
        model.embed_texts(["a dog"])


def test_models_are_registered_and_listing_imports_no_torch():
    specs = {s.id: s for s in mmzoo.models("retrieve") if s.plugin == "clip"}
    assert set(specs) == {"retrieve/clip-vit-b-32-openai", "retrieve/clip-vit-b-32-laion2b",
                          "retrieve/clip-vit-b-16-laion2b"}
    for spec in specs.values():
        assert not spec.default and isinstance(spec.factory, str) and spec.weights.source == "open_clip"
        assert spec.weights.license == "MIT" and spec.weights.size_mb > 500 and spec.requires == ("open_clip", "torch")
    assert specs["retrieve/clip-vit-b-32-openai"].weights.repo == "ViT-B-32/openai"
    probe = ("import sys, mmzoo_clip; found = []; mmzoo_clip.register_models(found.append); "
             "assert len(found) == 3, found; "
             "print(sorted(m for m in ('torch', 'open_clip', 'timm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
