"""The wild Shapes world: varied looks and phrasings, deterministic, with a held-out style and phrasing
family that no training split contains, and answers that stay right under every rewording."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from mmzoo.data import shapes
from mmzoo.data.shapes import COLOURS, Background, Obj, Scene
from mmzoo.errors import DatasetError, InvalidInput
from mmzoo.testing import file_digests

SEED, N = 4, 30
HELD_OUT_WORDING = re.compile(r"^(does the image contain|can you see) |in the picture\?$")


@pytest.fixture(scope="module")
def wild(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wild") / "world"
    shapes.generate(out, n=N, seed=SEED, audio=False, ocr=False, workers=1, variety="wild")
    return out


def questions_of(root: Path, split: str) -> list[dict]:
    qs = json.loads((root / "vqa" / f"{split}_questions.json").read_text())["questions"]
    anns = {a["question_id"]: a for a in json.loads((root / "vqa" / f"{split}_annotations.json").read_text())["annotations"]}
    return [{**q, **anns[q["question_id"]]} for q in qs]


def test_same_seed_gives_identical_files_whatever_the_workers(wild, tmp_path):
    shapes.generate(tmp_path / "again", n=N, seed=SEED, audio=False, ocr=False, workers=2, variety="wild")
    first, second = file_digests(wild), file_digests(tmp_path / "again")
    assert first == second and any(name.startswith("images/heldout/") for name in first)


def test_training_splits_never_hold_the_held_out_style_or_wording(wild):
    looks = [shapes.example(SEED, i, variety="wild").look for i in range(N)]
    assert {look.style for look in looks} == set(shapes.TRAINING_STYLES)
    assert {look.background.kind for look in looks} >= {"dark", "busy"}
    assert any(look.resolution for look in looks) and any(look.jpeg_quality for look in looks)
    for split in shapes.SPLITS:
        assert not any(HELD_OUT_WORDING.search(q["question"]) for q in questions_of(wild, split))
    worded = {q["question"] for split in shapes.SPLITS for q in questions_of(wild, split)}
    assert any("colour" in q for q in worded) and any("rectangle" in q or "rhombus" in q for q in worded)
    assert any(q.startswith("is there no ") for q in worded)


def test_the_held_out_split_asks_the_test_questions_of_the_test_scenes_in_the_held_out_style(wild):
    test, held_out = questions_of(wild, "test"), questions_of(wild, shapes.HELD_OUT)
    assert [(q["image_id"], q["question_type"]) for q in held_out] == [(q["image_id"], q["question_type"]) for q in test]
    reworded = [h for t, h in zip(test, held_out) if t["question"] != h["question"]]
    assert reworded and all(HELD_OUT_WORDING.search(h["question"]) for h in reworded)
    assert sorted(p.name for p in (wild / "images" / "heldout").iterdir()) == \
        sorted(p.name for p in (wild / "images" / "test").iterdir())
    captions = json.loads((wild / "annotations" / "captions_heldout.json").read_text())
    assert all(image["file_name"].startswith("heldout/") for image in captions["images"])


_SHAPE_WORDS = {**{s: s for s in shapes.SHAPES}, "rectangle": "square", "rhombus": "diamond"}
_ASKED = re.compile(rf"\b({'|'.join(COLOURS)}) ({'|'.join(_SHAPE_WORDS)})\b")


def test_every_existence_question_is_answered_by_the_scene_in_every_wording():
    checked = 0
    for i in range(120):
        ex = shapes.example(SEED, i, variety="wild")
        present = {(o.colour, o.shape) for o in ex.scene.objects}
        for qa in ex.questions + ex.held_out_questions:
            if qa.question_type != "is there a":
                continue
            colour, word = _ASKED.search(qa.question).groups()
            there = (colour, _SHAPE_WORDS[word]) in present
            negated = qa.question.startswith("is there no ")
            assert qa.answer == ("yes" if there != negated else "no"), qa
            checked += 1
    assert checked >= 400


def test_styles_draw_the_shape_in_its_colour():
    obj = Obj("square", "blue", "large", 64, 64)
    scene = Scene([obj], Background("plain", (240, 240, 240), (240, 240, 240)), 128)
    blue, background = np.array(COLOURS["blue"]), np.array((240, 240, 240))
    edge = (64, 64 - int(0.7 * shapes.radius(obj, 128)) + 1)  # just inside the square's top side
    for style in shapes.STYLES:
        pixels = np.asarray(shapes.render(scene, style)).astype(int)
        centre = pixels[64, 64]
        if style == "outline":
            assert np.abs(centre - background).max() < 10 and np.abs(pixels[edge[1], edge[0]] - blue).max() < 40
        else:  # a textured or shaded blue is still blue: its strongest channel, far above the others
            assert np.argmax(centre) == 2 and centre[2] - centre[:2].max() > 60, (style, centre)
    with pytest.raises(InvalidInput, match="drawing style"):
        shapes.render(scene, "sketchy")


def test_specs_name_the_wild_world_and_its_held_out_split(monkeypatch, tmp_path, wild):
    from mmzoo.data import specs

    with pytest.raises(DatasetError, match="only the wild world"):
        specs.parse_data("shapes:heldout")
    with pytest.raises(DatasetError, match="variety must be one of"):
        specs.parse_data("shapes?variety=wilder")
    spec = specs.parse_data("shapes:heldout?variety=wild&n=30&seed=4")
    monkeypatch.setattr(specs.DataSpec, "shapes_root", lambda self: wild)
    items = specs.vqa_items(spec)
    assert items and all("/heldout/" in str(item.image) and Path(item.image).is_file() for item in items)
    assert len(specs.caption_items(spec)) == len(list((wild / "images" / "heldout").iterdir()))
    with pytest.raises(DatasetError, match="not spoken captions"):
        specs.spoken_items(spec)
    with pytest.raises(DatasetError, match="a recipe trains on 'train'"):
        specs.train_and_val(specs.caption_items, "shapes:heldout?variety=wild")


def test_the_cli_writes_a_wild_world(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "world"
    done = subprocess.run([sys.executable, "-m", "mmzoo", "data", "shapes", "--out", str(out), "--n", "10", "--seed", "2",
                           "--no-audio", "--no-ocr", "--workers", "1", "--variety", "wild"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    meta = json.loads(done.stdout)
    assert meta["variety"] == "wild" and meta["counts"][shapes.HELD_OUT]["images"] == meta["counts"]["test"]["images"] == 1
    assert len(list((out / "images" / shapes.HELD_OUT).iterdir())) == 1
