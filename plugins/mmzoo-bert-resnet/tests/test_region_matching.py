"""Words x regions matching (``matching="regions"``): every word against every cell of the image
grid, pooled MISA-style; the same scores through the model, the Python API, an index and training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import mmzoo
from mmzoo_bert_resnet.model import DualEncoder, DualEncoderConfig
from mmzoo_bert_resnet.retrieval import DualEncoderRetrieval
from mmzoo_bert_resnet.train import TrainConfig, train

COLOURS = ("red", "green", "blue", "yellow")


def region_model(towers, image_model: str = "small-cnn", **overrides) -> DualEncoder:
    torch.manual_seed(0)
    weights = str(towers / "resnet18.safetensors") if image_model == "resnet18" else None
    values = dict(text_model=str(towers / "bert"), image_model=image_model, image_weights=weights, embed_dim=16,
                  image_size=64, matching="regions")
    config = DualEncoderConfig(**{**values, **overrides})
    return DualEncoder.from_towers(config).eval()


@pytest.mark.parametrize("image_model, cells", [("small-cnn", 16), ("resnet18", 4)])
def test_every_word_meets_every_region_and_the_best_region_per_word_is_averaged(towers, image_model, cells):
    model = region_model(towers, image_model)
    captions = ["a red circle", "a small blue square left of a green star"]
    with torch.no_grad():
        words, lengths = model.encode_texts(captions)
        images = model.encode_images(model.pixels([Image.new("RGB", (64, 64), c) for c in COLOURS[:3]]))
        similarity = model.similarity((words, lengths), images)
    counts = [len(model.tokenizer.tokenize(c)) for c in captions]  # [CLS], [SEP] and padding are no words
    assert lengths.tolist() == counts and images.shape == (3, cells, 16)
    assert torch.allclose(images.norm(dim=-1), torch.ones(3, cells), atol=1e-5)
    for t, n in enumerate(counts):
        assert torch.allclose(words[t, :n].norm(dim=-1), torch.ones(n), atol=1e-5)
        for i in range(3):
            slow = (words[t, :n] @ images[i].t()).max(dim=1).values.mean()
            assert similarity[t, i] == pytest.approx(float(slow), abs=1e-5)


def test_a_frozen_pretrained_grid_is_rebuilt_not_stored_and_its_cells_know_their_place(towers, tmp_path):
    model = region_model(towers, "efficientnet-lite0:blocks5", image_size=64)
    assert model.config.freeze_image and model.config.image_weights is None
    saved = model.save(tmp_path / "ckpt")
    from safetensors.torch import load_file

    stored = load_file(saved / "model.safetensors")
    assert not any(name.startswith("image_tower.") for name in stored)  # the ImageNet trunk comes from its package
    with torch.no_grad():
        model.image_projection.position.normal_()  # trained positions: identical cells still differ by place
        cells = model.encode_images(model.pixels([Image.new("RGB", (64, 64), "red")]))
        reloaded = DualEncoder.load(model.save(tmp_path / "again"))
        again = reloaded.encode_images(reloaded.pixels([Image.new("RGB", (64, 64), "red")]))
    assert cells.shape == (1, 16, 16) and not torch.allclose(cells[0, 0], cells[0, -1], atol=1e-3)
    assert torch.allclose(cells, again, atol=1e-5)


def test_a_frozen_text_tower_caches_word_states_and_gives_the_same_scores(towers):
    trained, frozen = region_model(towers), region_model(towers, freeze_text=True)
    with torch.no_grad():
        a = trained.encode_texts(["a red circle", "a blue star"])
        b = frozen.encode_texts(["a red circle", "a blue star"])
        again = frozen.encode_texts(["a blue star"])
    assert torch.allclose(a[0], b[0], atol=1e-5) and a[1].tolist() == b[1].tolist()
    assert torch.allclose(again[0][0], b[0][1, :len(again[0][0])], atol=1e-6)


def test_the_model_api_and_an_index_rank_alike(towers, tmp_path, monkeypatch):
    monkeypatch.setenv("MMZOO_HOME", str(tmp_path / "home"))
    region_model(towers).save(tmp_path / "ckpt")
    model = DualEncoderRetrieval(weights=tmp_path / "ckpt", device="cpu")
    assert model.single_vector is False
    folder = tmp_path / "photos"
    folder.mkdir()
    images = []
    for i, colour in enumerate(COLOURS):
        image = Image.new("RGB", (64, 64), "white")
        image.paste(colour, (8 * i, 8 * i, 8 * i + 24, 8 * i + 24))
        image.save(folder / f"{i}-{colour}.png")
        images.append(image)
    texts = model.embed_texts(["a red square", "green"])
    assert [t.shape for t in texts] == [(3, 16), (1, 16)]
    direct = model.similarity(texts, model.embed_images(images))
    with torch.no_grad():
        encoder = model.encoder
        expected = encoder.similarity(encoder.encode_texts(["a red square", "green"]),
                                      encoder.encode_images(encoder.pixels(images)))
    np.testing.assert_allclose(direct, expected.numpy(), atol=1e-5)

    loaded = mmzoo.load("retrieve/bert-resnet50", weights=tmp_path / "ckpt", device="cpu")
    hits = mmzoo.run("retrieve", text="a red square", images=[str(p) for p in sorted(folder.iterdir())], k=4,
                     model=loaded).hits
    assert [h.score for h in hits] == pytest.approx(sorted(direct[0], reverse=True), abs=1e-5)
    back = mmzoo.run("retrieve", image=images[1], texts=["a red square", "green"], k=2, model=loaded).hits
    assert [h.score for h in back] == pytest.approx(sorted(direct[:, 1], reverse=True), abs=1e-5)

    from mmzoo.index import GalleryIndex

    with pytest.raises(mmzoo.InvalidInput, match="searched exactly"):
        GalleryIndex.build(folder, loaded, tmp_path / "idx-approx", approximate=True, progress=False)
    index = GalleryIndex.build(folder, loaded, tmp_path / "idx", progress=False)
    from_index = mmzoo.run("retrieve", text="a red square", index=index, k=4, model=loaded).hits
    assert [h.score for h in from_index] == pytest.approx([h.score for h in hits], abs=1e-5)
    assert [index.path(h.index).name for h in from_index] == [Path(h.item).name for h in hits]
    with pytest.raises(mmzoo.InvalidInput, match="exactly"):
        mmzoo.run("retrieve", text="a red square", index=index, approximate=True, model=loaded)
    from mmzoo.eval.image import paired_similarity  # CLIPScore and re-ranking score pairs through it

    np.testing.assert_allclose(paired_similarity(loaded, images[:2], ["a red square", "green"]),
                               np.diagonal(direct[:, :2]), atol=1e-5)
    labels = mmzoo.run("retrieve", image=images[0], labels=["red", "blue"], model=loaded).labels
    assert sum(label.probability for label in labels) == pytest.approx(1.0)


def test_training_with_region_matching_lowers_the_loss_and_evaluates_through_the_api(world, towers, tmp_path,
                                                                                     monkeypatch):
    monkeypatch.setenv("MMZOO_HOME", str(tmp_path / "home"))
    train_items, val_items = world
    model = region_model(towers, embed_dim=32, image_size=32)
    history = train(model, train_items, val_items, TrainConfig(epochs=2, batch_size=32, lr=1e-3, loss="infonce"),
                    out=tmp_path / "run", progress=False)
    assert history[-1]["loss"] < history[0]["loss"]
    assert json.loads((tmp_path / "run" / "epoch-2" / "config.json").read_text())["matching"] == "regions"
    from mmzoo.evaluate import evaluate

    report = evaluate("retrieve", model="retrieve/bert-resnet50", weights=tmp_path / "run" / "epoch-2",
                            data="shapes:val?n=120&seed=3", progress=False)
    assert report.metrics["rsum"] == pytest.approx(history[-1]["rsum"], abs=1e-4)
    assert any("words x image regions" in note for note in report.notes)


def test_an_unknown_matching_is_refused():
    with pytest.raises(mmzoo.InvalidInput, match="matching must be one of pooled, regions"):
        DualEncoderConfig(matching="words")
