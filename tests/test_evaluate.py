"""`mmzoo eval`: every task with a metric, on the Shapes world and through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import mmzoo
from mmzoo.testing.doubles import DoublesPlugin
from mmzoo.data import ensure_shapes, readers
from mmzoo.evaluate import evaluate

SMALL = "shapes:test?n=40"


@pytest.fixture(scope="module")
def mmzoo_home(tmp_path_factory):
    """A private MMZOO_HOME holding a small Shapes world (generated once for this module)."""
    home = tmp_path_factory.mktemp("mmzoo-home")
    saved = os.environ.get("MMZOO_HOME")
    os.environ["MMZOO_HOME"] = str(home)
    try:
        ensure_shapes(n=40, seed=0)
        yield home
    finally:
        if saved is None:
            os.environ.pop("MMZOO_HOME")
        else:
            os.environ["MMZOO_HOME"] = saved


def test_readers_load_the_shapes_world(mmzoo_home):
    root = ensure_shapes(n=40, seed=0)
    captions = readers.read_coco_captions(root / "annotations" / "captions_test.json")
    assert captions and all(len(i.captions) == 5 and i.image.is_file() for i in captions)
    karpathy = readers.read_karpathy(root / "dataset_shapes.json", split="test")
    assert sorted(i.image for i in karpathy) == sorted(i.image for i in captions)
    vqa = readers.read_vqa(root / "vqa" / "test_questions.json", root / "vqa" / "test_annotations.json",
                           root / "images", image_pattern="{data_subtype}/{image_id:06d}.png")
    assert vqa and all(i.image.is_file() and len(i.answers) == 10 for i in vqa)
    spoken = readers.read_spoken_captions(root / "spoken_captions_test.json")
    assert spoken and all(s.audio.is_file() and s.image.is_file() and s.transcript for s in spoken)
    pages = readers.read_text_images(root / "ocr" / "test.jsonl")
    assert pages and all(p.image.is_file() and p.text for p in pages)


def test_eval_ocr_on_shapes_through_the_cli(mmzoo_home, tmp_path):
    out = tmp_path / "ocr.json"
    done = subprocess.run([sys.executable, "-m", "mmzoo", "eval", "ocr", "--model", "ocr/tesseract", "--data", SMALL,
                           "--json", str(out)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "MMZOO_HOME": str(mmzoo_home)})
    assert done.returncode == 0, done.stderr
    assert "CER" in done.stdout and "WER" in done.stdout
    report = json.loads(out.read_text())
    assert report["model"] == "ocr/tesseract" and report["samples"] >= 3
    assert 0 <= report["metrics"]["CER"] < 0.5  # clean rendered text: Tesseract reads most of it


def test_eval_every_other_task_with_doubles(mmzoo_home, register_plugin):
    register_plugin(DoublesPlugin(), "doubles")
    retrieve = evaluate("retrieve", "retrieve/colour", SMALL, progress=False)
    assert {"i2t_R@1", "t2i_R@10", "rsum", "t2i_medr"} <= set(retrieve.metrics)
    assert all(0 <= retrieve.metrics[k] <= 1 for k in retrieve.metrics if "R@" in k)
    caption = evaluate("caption", "caption/colour", SMALL, progress=False)
    assert {"BLEU-4", "METEOR", "ROUGE_L", "CIDEr-D"} <= set(caption.metrics)
    assert any("SPICE unavailable" in note for note in caption.notes)
    assert {"binding", "binding_mentions", "wrong_shape_rate"} <= set(caption.metrics)  # Shapes: colours bound to shapes
    assert any(note.startswith("binding:") for note in caption.notes)
    vqa = evaluate("vqa", "vqa/colour", SMALL, progress=False, limit=12)
    assert vqa.samples == 12 and 0 <= vqa.metrics["accuracy"] <= 1
    avmatch = evaluate("avmatch", "avmatch/loudness", SMALL, progress=False)
    assert "audio->image_R@1" in avmatch.metrics and "loc_hit_single" in avmatch.metrics
    assert "CER" not in caption.table() and "BLEU-4" in caption.table()


def test_eval_errors(mmzoo_home, tmp_path):
    with pytest.raises(mmzoo.InvalidInput, match="no metric for task 'palette'; tasks with metrics: retrieve"):
        evaluate("palette", data=SMALL)
    with pytest.raises(mmzoo.InvalidInput, match="limit"):
        evaluate("ocr", data=SMALL, limit=0)
    with pytest.raises(mmzoo.DatasetError, match="dataset not found"):
        evaluate("ocr", data=str(tmp_path / "missing.jsonl"))
    with pytest.raises(mmzoo.InvalidInput, match="is a 'tts' model"):
        evaluate("ocr", model="tts/espeak-ng", data=SMALL)
    done = subprocess.run([sys.executable, "-m", "mmzoo", "eval", "ocr", "--data", "shapes:dev"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("error: unknown Shapes split")


def test_eval_finds_images_in_the_folder_it_is_given(register_plugin, tmp_path):
    from mmzoo.testing.doubles import colour_image

    register_plugin(DoublesPlugin(), "doubles")
    (tmp_path / "pics").mkdir()
    (tmp_path / "ann").mkdir()
    for i, colour in enumerate(("red", "green", "blue")):
        colour_image(colour).save(tmp_path / "pics" / f"{colour}.png")
    coco = {"images": [{"id": i, "file_name": f"{c}.png"} for i, c in enumerate(("red", "green", "blue"))],
            "annotations": [{"id": i, "image_id": i, "caption": f"a {c} square"}
                            for i, c in enumerate(("red", "green", "blue"))]}
    (tmp_path / "ann" / "captions.json").write_text(json.dumps(coco))
    report = evaluate("caption", "caption/colour", str(tmp_path / "ann" / "captions.json"), progress=False,
                      images=tmp_path / "pics")
    assert report.samples == 3 and report.metrics["BLEU-1"] == pytest.approx(1.0)
    with pytest.raises(mmzoo.InvalidInput, match="image file not found"):
        evaluate("caption", "caption/colour", str(tmp_path / "ann" / "captions.json"), progress=False)
    with pytest.raises(mmzoo.DatasetError, match="image folder not found"):
        evaluate("caption", "caption/colour", str(tmp_path / "ann" / "captions.json"), images=tmp_path / "nope")
