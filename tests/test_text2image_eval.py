"""`mmzoo eval text2image`: the Shapes judge (its own accuracy on real renders) and the benchmark,
which gives a generator that draws what it is told top marks and one that only paints colours none."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import mmzoo
from mmzoo.data.shapes import COLOURS, HELD_OUT_PAIRS, SHAPES, Background, Obj, Scene, render
from mmzoo.eval.judge import ShapesJudge, real_accuracy
from mmzoo.evaluate import evaluate
from mmzoo.tasks.text2image import GeneratedImage, TextToImageModel
from mmzoo.testing.doubles import DoublesPlugin

SPOTS = ((20, 22), (44, 42))


def scene_of(prompt: str) -> Scene:
    """The Shapes scene 'a red circle and a blue star' names, drawn large at fixed spots."""
    objects = []
    for phrase, (x, y) in zip(prompt.split(" and "), SPOTS):
        colour, shape = phrase.split()[-2:]
        objects.append(Obj(shape, colour, "large" if len(prompt.split(" and ")) == 1 else "small", x, y))
    return Scene(objects, Background("plain", (240, 240, 235), (240, 240, 235)), 64)


class Illustrator(TextToImageModel):
    """Draws exactly the scene the prompt names (edits and inpaintings too)."""

    modes = ("generate", "edit", "inpaint")

    def generate(self, prompts, *, seeds, images=None, masks=None):
        out = []
        for i, (prompt, seed) in enumerate(zip(prompts, seeds)):
            image = render(scene_of(prompt))
            if masks:
                image = Image.composite(image.resize(images[i].size), images[i], masks[i])
            out.append(GeneratedImage(image, prompt, "generate", seed))
        return out


class Colourist(TextToImageModel):
    """Paints a disc of the first colour named, whatever shape is asked for."""

    modes = ("generate", "edit", "inpaint")

    def generate(self, prompts, *, seeds, images=None, masks=None):
        from PIL import ImageDraw

        out = []
        for prompt, seed in zip(prompts, seeds):
            image = Image.new("RGB", (64, 64), (240, 240, 235))
            colour = next(c for c in prompt.split() if c in COLOURS)
            ImageDraw.Draw(image).ellipse((4, 4, 60, 60), fill=COLOURS[colour])
            out.append(GeneratedImage(image, prompt, "generate", seed))
        return out


class Painters:
    @mmzoo.hookimpl
    def register_models(self, register):
        register(mmzoo.ModelSpec(id="text2image/illustrator", summary="test double", factory=Illustrator))
        register(mmzoo.ModelSpec(id="text2image/colourist", summary="test double", factory=Colourist))


@pytest.fixture(scope="module")
def judge():
    return ShapesJudge()


def test_the_shipped_judge_knows_real_renders_including_the_held_out_pairs(judge):
    measured = real_accuracy(judge, n=150, seed=123)
    assert measured["colour"] >= 0.97 and measured["shape"] >= 0.95 and measured["two_objects"] >= 0.8
    assert judge.accuracy["shape"] >= 0.95  # what it reports about itself, from its training command
    held = judge([render(scene_of(f"a {c} {s}")) for c, s in HELD_OUT_PAIRS])
    assert [(v.colour, v.shape) for v in held] == list(HELD_OUT_PAIRS)


def test_the_judge_is_not_fooled_by_a_blob(judge):
    blobs = Colourist().generate([f"a red {s}" for s in SHAPES], seeds=list(range(len(SHAPES))))
    verdicts = judge([b.image for b in blobs])
    assert all(v.colour == "red" for v in verdicts)
    assert sum(v.shape == s for v, s in zip(verdicts, SHAPES)) <= 2  # a disc is (at most) a circle or a hexagon


@pytest.mark.parametrize("painter,good", [("text2image/illustrator", True), ("text2image/colourist", False)])
def test_the_benchmark_tells_a_faithful_generator_from_a_colourist(register_plugin, painter, good):
    register_plugin(Painters(), "painters")
    register_plugin(DoublesPlugin(), "doubles")
    report = evaluate("text2image", model=painter, limit=6, progress=False,
                      options={"clip_model": "retrieve/shapes-minilm-cnn"})
    m = report.metrics
    assert m["single/colour"] == m["held_out/colour"] == 1.0  # both paint the named colour
    if good:
        assert m["single/shape"] == m["held_out/shape"] == 1.0 and m["two/pairs"] >= 5 / 6
        assert m["inpaint/psnr_out"] == float("inf") and m["inpaint/l1_out"] == 0  # the rest kept exactly
        assert m["clipscore/ratio"] > 0.8 and m["edit/colour"] == 1.0
    else:
        assert m["single/shape"] <= 0.5 and m["two/pairs"] == 0
    assert m["judge_on_real/shape"] >= 0.95
    assert any("IS/FID" in n for n in report.notes) and any("shapes-minilm-cnn" in n for n in report.notes)


def test_eval_text2image_refuses_other_data_and_options_elsewhere(register_plugin, tmp_path):
    register_plugin(Painters(), "painters")
    with pytest.raises(mmzoo.InvalidInput, match="scored on the Shapes world"):
        evaluate("text2image", model="text2image/illustrator", data=str(tmp_path), progress=False)
    with pytest.raises(mmzoo.InvalidInput, match="takes no options"):
        evaluate("ocr", options={"steps": 3}, progress=False)


def test_masked_scenes_match_their_prompts():
    from mmzoo.eval.text2image import cases

    sets = cases(per_pair=1, held_out_per_pair=1, two=4, inpaint=3, edit=3)
    assert {c.prompt for c in sets["held_out"]} == {f"a {c} {s}" for c, s in HELD_OUT_PAIRS}
    assert not {c.prompt for c in sets["single"]} & {c.prompt for c in sets["held_out"]}
    for case in sets["inpaint"]:
        mask = np.asarray(case.mask) > 0
        target = case.scene.objects[1]
        assert mask[target.y, target.x] and not np.array_equal(np.asarray(case.source), np.asarray(render(case.scene)))
    for case in sets["edit"]:
        assert case.prompt.split()[1] == case.scene.objects[0].colour
