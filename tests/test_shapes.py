"""The Shapes world: deterministic, split cleanly, every format readable, annotations true to the scene."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PIL import Image

from mmzoo import espeak
from mmzoo.data import shapes
from mmzoo.data.shapes import COLOURS, SHAPES, SPLITS, Obj, generate, split_sizes
from mmzoo.errors import InvalidInput, MissingDependency
from mmzoo.testing import file_digests

N, SEED = 30, 0
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    """A small world with every modality, built by two worker processes."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    out = tmp_path_factory.mktemp("shapes") / "world"
    generate(out, n=N, seed=SEED, workers=2)
    return out


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def examples(count: int = 300, seed: int = SEED) -> list[shapes.Example]:
    return [shapes.example(seed, i) for i in range(count)]


# -- determinism and splits ------------------------------------------------------------


@needs_espeak
def test_same_seed_gives_identical_files_whatever_the_workers(world, tmp_path):
    again = tmp_path / "again"
    generate(again, n=N, seed=SEED, workers=1)
    first, second = file_digests(world), file_digests(again)
    held_out = sum(split_sizes(N, (0.8, 0.1, 0.1))[1:])  # val and test scenes, spoken again in the held-out accent
    # image + page + 5 wavs per scene, 5 more per val/test scene; 19 JSON/JSONL files
    assert len(first) == 7 * N + 5 * held_out + 19
    assert first == second


def test_a_scene_depends_on_its_seed_not_on_n(world, tmp_path):
    small = tmp_path / "small"
    generate(small, n=10, seed=SEED, audio=False, ocr=False)  # train holds scenes 1-8 in both worlds
    for i in range(1, 9):
        name = f"images/train/{i:06d}.png"
        assert (small / name).read_bytes() == (world / name).read_bytes()
    other = tmp_path / "other"
    generate(other, n=10, seed=SEED + 1, audio=False, ocr=False)
    differing = [i for i in range(1, 9) if (other / f"images/train/{i:06d}.png").read_bytes()
                 != (world / f"images/train/{i:06d}.png").read_bytes()]
    assert len(differing) >= 7
    assert load(other / "dataset_shapes.json") != load(small / "dataset_shapes.json")


def test_splits_are_disjoint_complete_and_present(world):
    karpathy = load(world / "dataset_shapes.json")["images"]
    by_split = {s: {im["cocoid"] for im in karpathy if im["split"] == s} for s in SPLITS}
    assert [len(by_split[s]) for s in SPLITS] == [24, 3, 3]
    assert set().union(*by_split.values()) == set(range(1, N + 1))
    for split in SPLITS:
        coco_ids = {im["id"] for im in load(world / "annotations" / f"captions_{split}.json")["images"]}
        vqa_ids = {q["image_id"] for q in load(world / "vqa" / f"{split}_questions.json")["questions"]}
        files = {int(p.stem) for p in (world / "images" / split).glob("*.png")}
        assert coco_ids == vqa_ids == files == by_split[split]


def test_split_sizes_keep_every_split_when_possible():
    assert shapes.split_sizes(3, (0.8, 0.1, 0.1)) == [1, 1, 1]
    assert shapes.split_sizes(1, (0.8, 0.1, 0.1)) == [1, 0, 0]
    assert shapes.split_sizes(2000, (0.8, 0.1, 0.1)) == [1600, 200, 200]
    assert shapes.split_sizes(7, (1, 0, 0)) == [7, 0, 0]


# -- formats ---------------------------------------------------------------------------


def test_coco_and_karpathy_formats(world):
    karpathy = load(world / "dataset_shapes.json")
    assert karpathy["dataset"] == "shapes"
    for imgid, image in enumerate(karpathy["images"]):
        assert image["imgid"] == imgid and (world / "images" / image["filepath"] / image["filename"]).is_file()
        assert image["sentids"] == [s["sentid"] for s in image["sentences"]] and len(image["sentences"]) == 5
        for sentence in image["sentences"]:
            assert sentence["imgid"] == imgid
            assert sentence["tokens"] == re.findall(r"[a-z0-9]+", sentence["raw"])
            assert sentence["raw"] == sentence["raw"].lower() and not sentence["raw"].endswith(".")
    for split in SPLITS:
        coco = load(world / "annotations" / f"captions_{split}.json")
        assert set(coco) == {"info", "images", "annotations"}
        for image in coco["images"]:
            assert image["file_name"] == f"{split}/{image['id']:06d}.png" and image["width"] == image["height"] == 128
            assert Image.open(world / "images" / image["file_name"]).size == (128, 128)
        assert len(coco["annotations"]) == 5 * len(coco["images"])
        assert all(isinstance(a["id"], int) and isinstance(a["caption"], str) for a in coco["annotations"])


def test_vqa_format(world):
    question_ids = set()
    for split in SPLITS:
        qs = load(world / "vqa" / f"{split}_questions.json")
        anns = load(world / "vqa" / f"{split}_annotations.json")
        assert (qs["task_type"], qs["data_type"], qs["data_subtype"]) == ("Open-Ended", "shapes", split)
        assert (anns["data_type"], anns["data_subtype"]) == ("shapes", split) and "info" in qs and "info" in anns
        by_id = {a["question_id"]: a for a in anns["annotations"]}
        assert set(by_id) == {q["question_id"] for q in qs["questions"]}
        question_ids |= set(by_id)
        for q in qs["questions"]:
            a = by_id[q["question_id"]]
            assert a["image_id"] == q["image_id"] and a["answer_type"] in ("yes/no", "number", "other")
            assert a["question_type"] and a["multiple_choice_answer"] == a["multiple_choice_answer"].lower()
            assert " " not in a["multiple_choice_answer"]
            assert a["answers"] == [{"answer": a["multiple_choice_answer"], "answer_confidence": "yes", "answer_id": i}
                                    for i in range(1, 11)]
    assert len(question_ids) >= 5 * N


def test_spoken_captions_say_every_caption_in_many_voices(world):
    captions = {}
    for split in SPLITS:
        for image in load(world / "dataset_shapes.json")["images"]:
            captions[f"{image['filepath']}/{image['filename']}"] = [s["raw"] for s in image["sentences"]]
    voices: dict[str, set[str]] = {"": set(), shapes.UNHEARD: set()}
    for split in SPLITS:
        for suffix in ("", shapes.UNHEARD) if split in shapes.UNHEARD_SPLITS else ("",):
            spoken = load(world / f"spoken_captions_{split}{suffix}.json")
            assert (spoken["image_base_path"], spoken["audio_base_path"]) == ("images", "audio")
            said: dict[str, list[str]] = {}
            for entry in spoken["data"]:
                assert set(entry) == {"uttid", "speaker", "asr_text", "wav", "image"}
                assert entry["speaker"] in (shapes.UNHEARD_VOICES if suffix else shapes.VOICES)
                voices[suffix].add(entry["speaker"])
                said.setdefault(entry["image"], []).append(entry["asr_text"])
                audio, rate = soundfile.read(world / "audio" / entry["wav"])
                assert rate == shapes.SAMPLE_RATE and audio.ndim == 1 and 0.5 <= len(audio) / rate <= 10
                assert np.abs(audio).max() > 0.05  # speech, not silence
            assert said == {image: captions[image] for image in said}  # all five captions, in order
            assert len(said) == len([i for i in captions if i.startswith(f"{split}/")])
    assert len(voices[""]) >= 10 and len(voices[shapes.UNHEARD]) >= 3
    families = {v.partition("+")[0] for v in voices[""]}
    assert shapes.HELD_OUT_FAMILY not in families and len(families) >= 4


def test_ocr_pages(world):
    pages = 0
    for split in SPLITS:
        for line in (world / "ocr" / f"{split}.jsonl").read_text().splitlines():
            record = json.loads(line)
            assert set(record) == {"image", "text"} and record["image"].startswith(f"{split}/")
            lines = record["text"].split("\n")
            assert 1 <= len(lines) <= 3 and all(2 <= len(text.split()) <= 8 for text in lines)
            page = Image.open(world / "ocr" / record["image"])
            assert page.width <= 700 and np.asarray(page.convert("L")).mean() > 150  # light page
            pages += 1
    assert pages == N


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_tesseract_reads_most_words_of_a_few_pages(world):
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    records = [json.loads(line) for line in (world / "ocr" / "train.jsonl").read_text().splitlines()[:4]]
    for record in records:
        result = subprocess.run(["tesseract", str(world / "ocr" / record["image"]), "-", "--psm", "6"],
                                capture_output=True, text=True, env=env, check=True)
        truth, read = record["text"].split(), result.stdout.split()
        assert sum(word in read for word in truth) >= 0.5 * len(truth), (record["text"], result.stdout)


def test_meta(world):
    meta = load(world / "meta.json")
    assert (meta["seed"], meta["n"], meta["image_size"], meta["version"]) == (SEED, N, 128, shapes.VERSION)
    assert meta["counts"]["val"] == {"images": 3, "captions": 15, "questions": meta["counts"]["val"]["questions"],
                                     "audio": 15, "audio_unheard": 15, "ocr": 3}
    assert meta["counts"]["train"]["audio_unheard"] == 0


# -- content true to the scene ---------------------------------------------------------


def test_images_show_each_object_colour_at_its_centre(world):
    karpathy = load(world / "dataset_shapes.json")["images"]
    for image in karpathy:
        scene = shapes.example(SEED, image["cocoid"] - 1).scene
        pixels = np.asarray(Image.open(world / "images" / image["filepath"] / image["filename"]).convert("RGB"))
        for obj in scene.objects:
            assert np.abs(pixels[obj.y, obj.x].astype(int) - COLOURS[obj.colour]).max() <= 2, (image["filename"], obj)


def test_files_hold_the_examples_annotations(world):
    karpathy = load(world / "dataset_shapes.json")["images"]
    for image in karpathy:
        ex = shapes.example(SEED, image["cocoid"] - 1)
        assert [s["raw"] for s in image["sentences"]] == ex.captions
    questions = load(world / "vqa" / "train_questions.json")["questions"]
    first = shapes.example(SEED, 0).questions
    assert [q["question"] for q in questions if q["image_id"] == 1] == [q.question for q in first]


def test_scenes_are_varied_and_never_overlap():
    seen_shapes, seen_colours, counts, backgrounds = set(), set(), set(), set()
    for ex in examples():
        scene = ex.scene
        counts.add(len(scene.objects))
        backgrounds.add(scene.background.kind)
        assert min(scene.background.colour + scene.background.colour2) >= 210  # light
        pairs = {(o.colour, o.shape) for o in scene.objects}
        assert len(pairs) == len(scene.objects)
        for a in scene.objects:
            seen_shapes.add(a.shape)
            seen_colours.add(a.colour)
            for b in scene.objects:
                if a is not b:
                    gap = np.hypot(a.x - b.x, a.y - b.y) - shapes.radius(a, 128) - shapes.radius(b, 128)
                    assert gap >= 0
    assert seen_shapes == set(SHAPES) and len(SHAPES) >= 6 and seen_colours == set(COLOURS)
    assert counts == {1, 2, 3, 4} and backgrounds == {"plain", "gradient", "noise"}


def words_in(text: str, vocabulary) -> set[str]:
    tokens = set(re.findall(r"[a-z]+", text))
    return {w for w in vocabulary if w in tokens or (w + "s") in tokens or (w + "es") in tokens}


RELATION = re.compile(r"an? (?:small |large )?(\w+) (\w+) (?:is )?(to the left of|left of|on the left of|to the right "
                      r"of|right of|on the right of|above|over|below|under|beneath) an? (?:small |large )?(\w+) (\w+)")


def holds(relation: str, a: Obj, b: Obj) -> bool:
    if "left" in relation:
        return a.x < b.x
    if "right" in relation:
        return a.x > b.x
    if relation in ("above", "over"):
        return a.y < b.y
    return a.y > b.y


def test_captions_name_the_scene_and_its_relations():
    relations = 0
    for ex in examples():
        objs = {(o.colour, o.shape): o for o in ex.scene.objects}
        colours, shape_names = {o.colour for o in objs.values()}, {o.shape for o in objs.values()}
        assert len(ex.captions) == len(set(ex.captions)) == 5
        for caption in ex.captions:
            assert caption == caption.lower() and not caption.endswith(".")
            assert words_in(caption, COLOURS) <= colours and words_in(caption, SHAPES) <= shape_names, caption
            if len(objs) == 1:
                (obj,) = objs.values()
                assert obj.colour in caption.split() and obj.shape in caption.split(), caption
            else:
                assert words_in(caption, COLOURS), caption
            for match in RELATION.finditer(caption):
                a, b = objs[match.group(1), match.group(2)], objs[match.group(4), match.group(5)]
                assert holds(match.group(3), a, b), (caption, a, b)
                relations += 1
            count = re.match(r"there are (\w+) shapes", caption)
            if count:
                assert shapes.NUMBER_WORDS.index(count.group(1)) == len(objs)
        assert sum(bool(words_in(caption, SHAPES)) for caption in ex.captions) >= 4  # one may count colours only
    assert relations > 50


def answer(question: str, objs: list[Obj]) -> str:
    """Recompute a question's answer from the scene, independently of the generator."""
    by_name = {f"{o.colour} {o.shape}": o for o in objs}
    if m := re.fullmatch(r"how many (?:shapes|objects) are there\?", question):
        return str(len(objs))
    if m := re.fullmatch(r"how many (\w+) (?:shapes|objects) are there\?", question):
        return str(sum(o.colour == m.group(1) for o in objs))
    if m := re.fullmatch(r"how many (\w+) are there\?", question):
        shape = {"crosses": "cross"}.get(m.group(1), m.group(1).removesuffix("s"))
        assert shape in SHAPES, question
        return str(sum(o.shape == shape for o in objs))
    if m := re.fullmatch(r"what color is the (\w+)\?", question):
        (obj,) = [o for o in objs if o.shape == m.group(1)]
        return obj.colour
    if m := re.fullmatch(r"what shape is the (\w+) (?:object|one)\?", question):
        (obj,) = [o for o in objs if o.colour == m.group(1)]
        return obj.shape
    if m := re.fullmatch(r"what size is the (\w+ \w+)\?", question):
        return by_name[m.group(1)].size
    if m := re.fullmatch(r"is there an? (\w+ \w+)\?", question):
        return "yes" if m.group(1) in by_name else "no"
    if m := re.fullmatch(r"is the (\w+ \w+) (to the left of|to the right of|above|below) the (\w+ \w+)\?", question):
        return "yes" if holds(m.group(2), by_name[m.group(1)], by_name[m.group(3)]) else "no"
    if m := re.fullmatch(r"what color is the shape (to the left of|to the right of|above|below) the (\w+ \w+)\?",
                         question):
        anchor = by_name[m.group(2)]
        (target,) = [o for o in objs if o is not anchor and holds(m.group(1), o, anchor)]
        return target.colour
    raise AssertionError(f"unexpected question {question!r}")


def test_answers_follow_from_the_scene():
    yes_no = {"yes": 0, "no": 0}
    kinds = set()
    for ex in examples():
        assert len(ex.questions) >= 5
        for qa in ex.questions:
            assert qa.answer == answer(qa.question, ex.scene.objects), qa
            assert qa.answer_type == ("number" if qa.answer.isdigit() else "yes/no" if qa.answer in yes_no else "other")
            if qa.answer in yes_no:
                yes_no[qa.answer] += 1
            kinds.add(qa.question_type)
    assert 0.4 < yes_no["yes"] / (yes_no["yes"] + yes_no["no"]) < 0.6
    assert {"how many", "what color is the", "what shape is the", "is there a", "is the"} <= kinds


# -- errors and imports ----------------------------------------------------------------


def test_missing_espeak_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(espeak.shutil, "which", lambda name: None)  # espeak-ng is found there
    with pytest.raises(MissingDependency, match="apt-get install espeak-ng"):
        generate(tmp_path / "x", n=2, audio=True)


def test_bad_arguments_and_foreign_folders(tmp_path):
    for kwargs in ({"n": 0}, {"splits": (0.5, 0.2, 0.2)}, {"workers": 0}, {"seed": -1}):
        with pytest.raises(InvalidInput):
            generate(tmp_path / "x", audio=False, ocr=False, **{"n": 2, **kwargs})
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(InvalidInput, match="not empty"):
        generate(tmp_path / "mine", n=2, audio=False, ocr=False)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_a_new_run_replaces_an_earlier_world(tmp_path):
    out = tmp_path / "w"
    generate(out, n=12, audio=False, ocr=False)
    calls = []
    generate(out, n=4, audio=False, ocr=False, splits=(0.5, 0.25, 0.25), progress=lambda *a: calls.append(a))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert not (out / "audio").exists() and not (out / "spoken_captions_train.json").exists()
    assert sorted(p.name for p in (out / "images" / "train").iterdir()) == ["000001.png", "000002.png"]
    assert load(out / "meta.json")["n"] == 4


def test_import_mmzoo_does_not_import_shapes():
    code = "import sys, mmzoo; assert 'mmzoo.data.shapes' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
