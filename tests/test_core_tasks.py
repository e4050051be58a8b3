"""The task interfaces whose real models come later, exercised through mmzoo.run with test doubles."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import mmzoo
from mmzoo.testing.doubles import DoublesPlugin, colour_image, write_tone
from mmzoo.plugins import get_registry


@pytest.fixture(autouse=True)
def doubles(register_plugin):
    register_plugin(DoublesPlugin(), "doubles")


def test_retrieve_ranks_a_gallery_both_ways(tmp_path):
    paths = {c: tmp_path / f"{c}.png" for c in ("red", "green", "blue")}
    for colour, path in paths.items():
        colour_image(colour).save(path)
    result = mmzoo.run("retrieve", text="a blue thing", images=list(paths.values()), k=2, model="retrieve/colour")
    assert [h.item for h in result.hits] == [str(paths["blue"]), str(paths["red"])]
    assert result.hits[0].score > result.hits[1].score
    by_image = mmzoo.run("retrieve", image=colour_image("green"), texts=["red car", "green tree", "blue sky"],
                         model="retrieve/colour")
    assert by_image.hits[0].item == "green tree" and len(by_image.hits) == 3
    with pytest.raises(mmzoo.InvalidInput, match="exactly one query"):
        mmzoo.run("retrieve", texts=["a"], model="retrieve/colour")
    with pytest.raises(mmzoo.InvalidInput, match="non-empty gallery"):
        mmzoo.run("retrieve", text="a", images=[], texts=None, model="retrieve/colour")
    with pytest.raises(mmzoo.InvalidInput, match="k must be"):
        mmzoo.run("retrieve", text="a", texts=["b"], k=0)


def test_caption_batches_and_options():
    one = mmzoo.run("caption", colour_image("red"), model="caption/colour")
    assert one.captions == ["a red square"]
    many = mmzoo.run("caption", [colour_image("green"), colour_image("blue")], num_captions=2, model="caption/colour")
    assert [r.captions[0] for r in many] == ["a green square", "a blue square"] and len(many[0].captions) == 2


def test_vqa_broadcasts_one_image_over_questions():
    results = mmzoo.run("vqa", colour_image("blue"), ["what colour?", "which colour?"], top_k=2, model="vqa/colour")
    assert [r.answer for r in results] == ["blue", "blue"] and len(results[0].answers) == 2
    with pytest.raises(mmzoo.InvalidInput, match="2 images but 3 questions"):
        mmzoo.run("vqa", [colour_image("red")] * 2, ["a?", "b?", "c?"], model="vqa/colour")


PAINTER = "text2image/colour"  # the test double (the default is the Shapes diffusion model)


def test_text2image_generate_edit_inpaint(tmp_path):
    assert mmzoo.run("text2image", "a green field", model=PAINTER).image.getpixel((0, 0)) == (30, 200, 30)
    base = Image.new("RGB", (64, 64), "white")
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (0, 0, 32, 64))  # repaint the left half only
    out = mmzoo.run("text2image", "make it blue", image=base, mask=mask, model=PAINTER)
    assert out.mode == "inpaint" and out.image.getpixel((5, 5)) == (30, 30, 220)
    assert out.image.getpixel((60, 5)) == (255, 255, 255)
    with pytest.raises(mmzoo.InvalidInput, match="mask is 8x8 but the image is 64x64"):
        mmzoo.run("text2image", "x", image=base, mask=Image.new("L", (8, 8)), model=PAINTER)
    with pytest.raises(mmzoo.InvalidInput, match="needs the image"):
        mmzoo.run("text2image", "x", mask=mask, model=PAINTER)
    saved = get_registry().task("text2image").save(mmzoo.run("text2image", ["a red", "a blue"], model=PAINTER), tmp_path / "out.png")
    assert [p.name for p in saved] == ["out-0.png", "out-1.png"] and all(p.exists() for p in saved)


def test_avmatch_ranks_images_for_audio_with_a_matchmap(tmp_path):
    loud = write_tone(tmp_path / "loud.wav", 0.9)
    dark, bright = Image.new("RGB", (32, 32), "black"), Image.new("RGB", (32, 32), "white")
    result = mmzoo.run("avmatch", audio=loud, images=[dark, bright], model="avmatch/loudness")
    assert result.hits[0].index == 1 and result.matchmap.ndim == 3
    assert result.to_dict()["matchmap_shape"] == list(result.matchmap.shape)
    quiet = write_tone(tmp_path / "quiet.wav", 0.01)
    by_image = mmzoo.run("avmatch", image=bright, audios=[quiet, loud], with_matchmap=False, model="avmatch/loudness")
    assert by_image.hits[0].item == str(loud) and by_image.matchmap is None
    assert np.isfinite([h.score for h in by_image.hits]).all()
    with pytest.raises(mmzoo.InvalidInput, match="silent"):
        mmzoo.run("avmatch", audio=write_tone(tmp_path / "hush.wav", 0.001), images=[dark], model="avmatch/loudness")
