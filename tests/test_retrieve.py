"""The retrieve task: zero-shot labels, image->text and image->image search, input checks (test doubles)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mmzoo
from mmzoo.index import GalleryIndex
from mmzoo.tasks.retrieve import ZeroShotResult
from mmzoo.testing.doubles import ColourRetrieval, DoublesPlugin, colour_image


COLOUR = "retrieve/colour"  # named every time: real retrieval plugins may be installed and be the default


@pytest.fixture(autouse=True)
def doubles(register_plugin):
    register_plugin(DoublesPlugin(), "doubles")


class PromptedColours(ColourRetrieval):
    """Records the prompts it embeds; its templates mix a format string and a callable."""

    templates = ("a {} thing", lambda label: f"something {label}, probably")

    def __init__(self, logit_scale: float = 100.0):
        self.logit_scale = logit_scale
        self.prompts: list[str] = []

    def embed_texts(self, texts):
        self.prompts += texts
        return super().embed_texts(texts)


@pytest.mark.parametrize("colour", ["red", "green", "blue"])
def test_zero_shot_picks_the_right_colour_and_probabilities_sum_to_one(colour):
    result = mmzoo.run("retrieve", image=colour_image(colour), labels=["red", "green", "blue"], model=COLOUR)
    assert isinstance(result, ZeroShotResult) and result.best == colour
    assert sorted(s.label for s in result.labels) == ["blue", "green", "red"]
    assert math.fsum(s.probability for s in result.labels) == pytest.approx(1.0)
    assert result.labels[0].score == pytest.approx(1.0) and all(-1 <= s.score <= 1 for s in result.labels)
    assert [s.probability for s in result.labels] == sorted((s.probability for s in result.labels), reverse=True)


def test_zero_shot_uses_the_models_templates_and_logit_scale():
    sharp, soft = PromptedColours(100.0), PromptedColours(1.0)
    strings = mmzoo.run("retrieve", image=colour_image("blue"), labels="red, blue", model=sharp)
    assert sharp.prompts == ["a red thing", "something red, probably", "a blue thing", "something blue, probably"]
    gentle = mmzoo.run("retrieve", image=colour_image("blue"), labels="red, blue", model=soft)
    assert strings.best == gentle.best == "blue"
    assert strings.labels[0].probability > 0.999 and 0.5 < gentle.labels[0].probability < 0.9
    expected = 1 / (1 + math.exp(-(gentle.labels[0].score - gentle.labels[1].score)))  # softmax of two, scale 1
    assert gentle.labels[0].probability == pytest.approx(expected)


def test_zero_shot_defaults_for_a_model_without_templates():
    model = ColourRetrieval()
    assert model.templates == ("a photo of a {}.",) and model.logit_scale == 100.0
    result = mmzoo.run("retrieve", image=colour_image("red"), labels=("red", "green"), model=model)
    assert result.best == "red"
    assert [s["label"] for s in result.to_dict()["labels"]] == ["red", "green"]


def test_image_to_text_and_image_to_image():
    by_text = mmzoo.run("retrieve", image=colour_image("green"), texts=["red car", "green tree", "blue sky"], k=1,
                       model=COLOUR)
    assert [(h.index, h.item) for h in by_text.hits] == [(1, "green tree")]
    gallery = [colour_image(c) for c in ("blue", "red", "green", "red")]
    by_image = mmzoo.run("retrieve", image=colour_image("red"), images=gallery, k=2, model=COLOUR)
    assert [h.index for h in by_image.hits] == [1, 3] and by_image.hits[0].score == pytest.approx(1.0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(text="red", labels=["red", "blue"]), "need an image query"),
    (dict(image="IMG", labels=["red"], texts=["a"]), "no gallery"),
    (dict(image="IMG", labels="red, red, blue"), "more than once: red"),
    (dict(image="IMG", labels=" , "), "at least one label"),
    (dict(image="IMG", labels=["red", "  "]), "label is empty"),
    (dict(text="red", texts=["a"], index=GalleryIndex.from_embeddings(np.eye(3, dtype=np.float32))),
     "exactly one gallery"),  # mmzoo.run opens an index folder first: a wrong one says so
    (dict(text="red", image="IMG", texts=["a"]), "exactly one query"),
    (dict(text="red", texts=[]), "is empty"),
    (dict(text="red", texts=["a"], approximate=True), "needs an index"),
    (dict(text="red", images="photos/"), "takes a list"),
    (dict(text="red", index="/no/such/index"), "no gallery index at"),
])
def test_bad_inputs_say_what_to_do(kwargs, message):
    kwargs = {k: colour_image("red") if v == "IMG" else v for k, v in kwargs.items()}
    with pytest.raises(mmzoo.InvalidInput, match=message):
        mmzoo.run("retrieve", model=COLOUR, **kwargs)
