"""The registered retrieval models: the real-photo default finds scikit-image's sample photos from
plain text, the shipped Shapes model retrieves unseen Shapes scenes far above chance, and the
full-size recipe loads a trained checkpoint through ``weights=``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mmzoo
from mmzoo.data.readers import read_coco_captions
from mmzoo.eval.retrieval import recall_scores
from mmzoo.media import load_image

PHOTOS = ["astronaut", "camera", "chelsea", "coffee", "rocket", "coins", "moon", "page", "brick", "grass", "retina",
          "hubble_deep_field", "motorcycle_left", "logo", "text"]


@pytest.fixture(scope="module")
def photos() -> list[str]:
    """Paths of the sample photos scikit-image ships (no download)."""
    import skimage

    folder = Path(skimage.__file__).parent / "data"
    paths = [next(folder.glob(f"{name}.*")) for name in PHOTOS]
    return [str(p) for p in paths]


@pytest.mark.parametrize("query, expected", [("a cat", "chelsea"), ("a cup of coffee", "coffee"),
                                              ("a rocket", "rocket"), ("a camera on a tripod", "camera")])
def test_the_default_finds_real_photos_from_plain_text(photos, query, expected):
    assert mmzoo.models("retrieve")[0].id == "retrieve/minilm-effnet-conse"
    result = mmzoo.run("retrieve", text=query, images=photos, k=3)  # the task's default model
    assert Path(result.hits[0].item).stem == expected
    assert result.hits[0].score > result.hits[1].score


def test_the_default_finds_the_photo_like_a_photo(photos):
    model = mmzoo.load("retrieve/minilm-effnet-conse")
    cat = photos[PHOTOS.index("chelsea")]
    result = mmzoo.run("retrieve", image=cat, texts=["a cat", "a cup of coffee", "a rocket", "a page of text"], model=model)
    assert result.hits[0].item == "a cat"
    vectors = model.embed_images([load_image(p) for p in photos[:3]])
    assert vectors.shape == (3, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


@pytest.fixture(scope="module")
def unseen_world(shapes_world):
    """200 scenes of another seed than the training world: none of them was seen in training."""
    root = shapes_world(n=200, seed=11)
    return [item for split in ("train", "val", "test")
            for item in read_coco_captions(root / "annotations" / f"captions_{split}.json", root / "images")]


@pytest.mark.parametrize("model_id, times_chance", [("retrieve/shapes-minilm-cnn", 10),
                                                     ("retrieve/shapes-minilm-regions", 40)])
def test_the_shipped_shapes_models_retrieve_unseen_scenes(unseen_world, model_id, times_chance):
    model = mmzoo.load(model_id)
    images = model.embed_images([load_image(item.image) for item in unseen_world])
    texts = [(i, c) for i, item in enumerate(unseen_world) for c in item.captions]
    similarity = model.similarity(model.embed_texts([c for _, c in texts]), images)  # (texts, images)
    scores = recall_scores(similarity.T, [i for i, _ in texts])
    chance = 1 / len(unseen_world)
    assert scores["t2i_R@1"] > times_chance * chance and scores["i2t_R@1"] > times_chance * chance


def test_the_full_size_recipe_needs_a_trained_checkpoint(tmp_path, write_towers):
    spec = next(s for s in mmzoo.models("retrieve") if s.id == "retrieve/bert-resnet50")
    assert spec.status().text == "needs weights=DIR"  # whatever is cached: nothing published runs it
    with pytest.raises(mmzoo.InvalidInput, match="mmzoo train retrieve"):
        mmzoo.load("retrieve/bert-resnet50")
    from mmzoo_bert_resnet.model import DualEncoder, DualEncoderConfig

    towers = write_towers(["a", "red", "circle"], 32)
    DualEncoder.from_towers(DualEncoderConfig(text_model=str(towers / "bert"), image_model="resnet18",
                                              image_weights=str(towers / "resnet18.safetensors"), embed_dim=8,
                                              image_size=32)).save(tmp_path / "run")
    model = mmzoo.load("retrieve/bert-resnet50", weights=tmp_path / "run")
    assert model.embed_texts(["a red circle", "a circle"]).shape == (2, 8)
    with pytest.raises(mmzoo.WeightsUnavailable, match="does not exist"):
        mmzoo.load("retrieve/bert-resnet50", weights=tmp_path / "nowhere")
