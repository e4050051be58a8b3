"""The dual encoder loads tiny random towers from local folders through the hub-id code path,
round-trips through its safetensors checkpoint, and says what to do when weights are missing."""

from __future__ import annotations

import socket
import time

import pytest
import torch
from PIL import Image

import mmzoo
from mmzoo_bert_resnet.model import DualEncoder, DualEncoderConfig

WORDS = ["a", "red", "blue", "green", "circle", "square", "star"]


@pytest.fixture(scope="module")
def tiny_towers(write_towers):
    return write_towers(WORDS, 32)


def tiny_config(towers, **overrides) -> DualEncoderConfig:
    values = dict(text_model=str(towers / "bert"), image_model="resnet18",
                  image_weights=str(towers / "resnet18.safetensors"), embed_dim=16, image_size=64)
    return DualEncoderConfig(**{**values, **overrides})


def test_towers_load_from_local_folders_and_embed(tiny_towers):
    model = DualEncoder.from_towers(tiny_config(tiny_towers)).eval()
    with torch.no_grad():
        texts = model.encode_texts(["a red circle", "a blue square", "star"])
        images = model.encode_images(model.pixels([Image.new("RGB", (80, 60), c) for c in ("red", "blue")]))
    assert texts.shape == (3, 16) and images.shape == (2, 16)
    assert torch.allclose(texts.norm(dim=1), torch.ones(3), atol=1e-5)
    assert torch.allclose(images.norm(dim=1), torch.ones(2), atol=1e-5)


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_checkpoint_round_trip_gives_the_same_embeddings(tiny_towers, tmp_path, pooling):
    model = DualEncoder.from_towers(tiny_config(tiny_towers, pooling=pooling)).eval()
    saved = model.save(tmp_path / "ckpt")
    assert sorted(p.name for p in saved.iterdir()) == ["config.json", "model.safetensors", "text"]
    loaded = DualEncoder.load(saved)
    image = [Image.new("RGB", (64, 64), "green")]
    with torch.no_grad():
        assert torch.allclose(model.encode_texts(["a green star"]), loaded.encode_texts(["a green star"]), atol=1e-6)
        assert torch.allclose(model.encode_images(model.pixels(image)), loaded.encode_images(loaded.pixels(image)),
                              atol=1e-5)
    assert loaded.config.pooling == pooling


def test_missing_weights_say_what_to_do(tmp_path, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # read at import: set it directly
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    with pytest.raises(mmzoo.WeightsUnavailable, match="bert-base-uncased.*86b5e09.*mmzoo download"):
        DualEncoder.from_towers(DualEncoderConfig(image_weights=None))
    with pytest.raises(mmzoo.WeightsUnavailable, match="model.safetensors is missing"):
        (tmp_path / "empty").mkdir()
        (tmp_path / "empty" / "config.json").write_text("{}")
        DualEncoder.load(tmp_path / "empty")
    with pytest.raises(mmzoo.InvalidInput, match="pooling"):
        DualEncoderConfig(pooling="max")


def test_an_unreachable_hub_fails_in_seconds_without_hf_hub_offline(tmp_path, monkeypatch):
    from huggingface_hub import constants

    from mmzoo_bert_resnet.retrieval import BertResNet50

    with socket.socket() as sock:  # a port nothing listens on: no download can start, even with internet
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    start = time.perf_counter()
    with pytest.raises(mmzoo.WeightsUnavailable, match="bert-base-uncased.*mmzoo download.*unreachable"):
        DualEncoder.from_towers(DualEncoderConfig(image_weights=None))
    spec = next(s for s in mmzoo.models("retrieve") if s.id == "retrieve/bert-resnet50")
    with pytest.raises(mmzoo.WeightsUnavailable, match="retrieve/bert-resnet50: cannot fetch the towers.*unreachable"):
        BertResNet50.download(spec)
    assert time.perf_counter() - start < 8  # the hub library alone retries for ~25 s


def test_image_tower_weights_offline_say_what_to_do(tiny_towers, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # empty cache: torchvision must download
    with pytest.raises(mmzoo.WeightsUnavailable, match="resnet18 weights DEFAULT.*mmzoo download"):
        DualEncoder.from_towers(tiny_config(tiny_towers, image_weights="DEFAULT"))


def test_a_frozen_text_tower_is_stored_by_reference(tiny_towers, tmp_path):
    model = DualEncoder.from_towers(tiny_config(tiny_towers, freeze_text=True, image_model="small-cnn",
                                                image_weights=None)).eval()
    saved = model.save(tmp_path / "ckpt")
    assert sorted(p.name for p in saved.iterdir()) == ["config.json", "model.safetensors"]
    from safetensors.torch import load_file

    assert not any(k.startswith("text_tower.") for k in load_file(saved / "model.safetensors"))
    loaded = DualEncoder.load(saved)
    assert not any(p.requires_grad for p in loaded.text_tower.parameters())
    image = [Image.new("RGB", (64, 64), "green")]
    with torch.no_grad():
        assert torch.allclose(model.encode_texts(["a green star"]), loaded.encode_texts(["a green star"]), atol=1e-6)
        assert torch.allclose(model.encode_images(model.pixels(image)), loaded.encode_images(loaded.pixels(image)),
                              atol=1e-5)
