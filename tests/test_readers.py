"""Dataset readers load small fixtures written in the real formats; bad files name file and field."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mmzoo.data import readers
from mmzoo.data.specs import DataSpec, parse_data, train_and_val
from mmzoo.errors import DatasetError


def write(path: Path, content) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_coco_captions(tmp_path):
    path = write(tmp_path / "annotations" / "captions_val2014.json", {
        "info": {}, "licenses": [],
        "images": [{"id": 42, "file_name": "COCO_val2014_000000000042.jpg", "width": 640, "height": 480},
                   {"id": 7, "file_name": "COCO_val2014_000000000007.jpg", "width": 640, "height": 480}],
        "annotations": [{"id": 1, "image_id": 42, "caption": "A dog on a couch. "},
                        {"id": 2, "image_id": 42, "caption": "a brown dog sleeping"},
                        {"id": 3, "image_id": 7, "caption": "a plate of food"}]})
    (tmp_path / "images").mkdir()
    items = readers.read_coco_captions(path)
    assert [(i.image_id, len(i.captions)) for i in items] == [(42, 2), (7, 1)]
    assert items[0].captions[0] == "A dog on a couch."
    assert items[0].image == tmp_path / "images" / "COCO_val2014_000000000042.jpg"
    assert readers.group_captions(items)[7] == ["a plate of food"]


def test_karpathy_splits(tmp_path):
    path = write(tmp_path / "dataset_flickr30k.json", {"dataset": "flickr30k", "images": [
        {"filename": "1000092795.jpg", "imgid": 0, "split": "train", "sentids": [0],
         "sentences": [{"raw": "Two young guys with shaggy hair.", "tokens": ["two", "young"], "imgid": 0, "sentid": 0}]},
        {"filename": "10002456.jpg", "imgid": 1, "split": "test", "sentids": [1],
         "sentences": [{"raw": "Several men in hard hats.", "tokens": ["several"], "imgid": 1, "sentid": 1}]},
        {"filepath": "val2014", "filename": "COCO_val2014_000000391895.jpg", "imgid": 2, "cocoid": 391895,
         "split": "restval", "sentids": [2],
         "sentences": [{"raw": "A man riding a bike.", "tokens": ["a"], "imgid": 2, "sentid": 2}]}]})
    test = readers.read_karpathy(path, image_root=tmp_path / "img", split="test")
    assert [i.image.name for i in test] == ["10002456.jpg"] and test[0].captions == ["Several men in hard hats."]
    train = readers.read_karpathy(path, image_root=tmp_path / "img", split="train")  # restval counts as train
    assert [i.image_id for i in train] == [0, 391895]
    assert train[1].image == tmp_path / "img" / "val2014" / "COCO_val2014_000000391895.jpg"


def test_vqa_v2(tmp_path):
    questions = write(tmp_path / "v2_OpenEnded_mscoco_val2014_questions.json", {
        "info": {}, "task_type": "Open-Ended", "data_type": "mscoco", "data_subtype": "val2014",
        "questions": [{"image_id": 42, "question": "What color is the dog?", "question_id": 420}]})
    annotations = write(tmp_path / "v2_mscoco_val2014_annotations.json", {
        "info": {}, "data_type": "mscoco", "data_subtype": "val2014",
        "annotations": [{"question_id": 420, "image_id": 42, "question_type": "what color is the",
                         "answer_type": "other", "multiple_choice_answer": "brown",
                         "answers": [{"answer": "brown", "answer_confidence": "yes", "answer_id": k}
                                     for k in range(1, 11)]}]})
    (item,) = readers.read_vqa(questions, annotations, image_root=tmp_path)
    assert item.image == tmp_path / "COCO_val2014_000000000042.jpg"
    assert item.answers == ["brown"] * 10 and item.answer_type == "other" and item.question == "What color is the dog?"
    (no_answers,) = readers.read_vqa(questions)
    assert no_answers.answers == [] and no_answers.image is None


def test_spoken_captions_places_layout(tmp_path):
    path = write(tmp_path / "train_2020.json", {"image_base_path": "images", "audio_base_path": "wavs", "data": [
        {"uttid": "A1", "speaker": "S9", "asr_text": "a kitchen with a stove", "wav": "wavs/A1.wav",
         "image": "k/kitchen/0001.jpg"}]})
    (item,) = readers.read_spoken_captions(path)
    assert item.audio == tmp_path / "wavs" / "wavs" / "A1.wav" and item.image == tmp_path / "images" / "k/kitchen/0001.jpg"
    assert item.transcript == "a kitchen with a stove" and item.speaker == "S9"


def test_folder_with_captions_csv_and_jsonl(tmp_path, ocr_image):
    for name in ("a.png", "sub/b.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(ocr_image.read_bytes())
    write(tmp_path / "captions.csv", "file_name,caption\na.png,first caption\nsub/b.png,second\na.png,third\n")
    items = readers.read_folder(tmp_path)
    assert [(i.image_id, i.captions) for i in items] == [("a.png", ["first caption", "third"]), ("sub/b.png", ["second"])]
    labels = write(tmp_path / "labels.jsonl", '{"image": "sub/b.png", "text": "from jsonl"}\n')
    assert readers.read_folder(tmp_path, labels)[1].captions == ["from jsonl"]
    (page,) = readers.read_text_images(labels)
    assert page.image == tmp_path / "sub/b.png" and page.text == "from jsonl"


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ({"images": []}, "missing field 'annotations'"),
    ({"images": [{"file_name": "x.jpg"}], "annotations": []}, "images[0]: missing field 'id'"),
    ({"images": [{"id": 1, "file_name": "x.jpg"}], "annotations": [{"image_id": 1}]},
     "annotations[0]: missing field 'caption'"),
    ({"images": [{"id": 1, "file_name": "x.jpg"}], "annotations": [{"image_id": 2, "caption": "c"}]},
     "image_id 2 is not in 'images'"),
])
def test_bad_coco_files_name_the_file_and_field(tmp_path, content, message):
    path = write(tmp_path / "captions.json", content)
    with pytest.raises(DatasetError, match=re.escape(message)) as error:
        readers.read_coco_captions(path)
    assert "captions.json" in str(error.value)


def test_other_bad_inputs(tmp_path):
    with pytest.raises(DatasetError, match="dataset file not found"):
        readers.read_coco_captions(tmp_path / "nope.json")
    with pytest.raises(DatasetError, match="no images found"):
        readers.read_folder(tmp_path)
    bad_csv = write(tmp_path / "l.csv", "image,words\na.png,hello\n")
    with pytest.raises(DatasetError, match=r"l.csv: row 2: missing field 'caption'"):
        list(readers.read_text_images(bad_csv))
    questions = write(tmp_path / "q.json", {"questions": [{"image_id": 1, "question": "?", "question_id": 5}]})
    annotations = write(tmp_path / "a.json", {"annotations": []})
    with pytest.raises(DatasetError, match="no annotation for question_id 5"):
        readers.read_vqa(questions, annotations)


def test_shapes_specs():
    def shapes(text, **options):
        spec = parse_data(text, **options)
        return spec.is_shapes and (spec.split, spec.n, spec.seed)

    assert shapes("shapes:test") == ("test", 1000, 0)
    assert shapes("shapes:val?n=50&seed=3") == ("val", 50, 3)
    assert shapes("shapes?n=60&seed=3") == (None, 60, 3)  # no split: the consumer picks
    assert shapes("shapes", split="train") == ("train", 1000, 0)
    assert not parse_data("data/coco.json").is_shapes
    with pytest.raises(DatasetError, match="unknown Shapes split"):
        parse_data("shapes:dev")
    with pytest.raises(DatasetError, match="unknown Shapes option"):
        parse_data("shapes:test?size=3")
    with pytest.raises(DatasetError, match="integers"):
        parse_data("shapes:test?n=lots")
    with pytest.raises(DatasetError, match="names split 'val' but split 'test'"):
        parse_data("shapes:val", split="test")
    assert parse_data("shapes:test").voices == "heard"
    assert parse_data("shapes:test?voices=unheard&n=40").voices == "unheard"
    with pytest.raises(DatasetError, match="voices must be one of heard, unheard"):
        parse_data("shapes:test?voices=all")


def test_shapes_spoken_captions_in_the_held_out_accent_exist_for_val_and_test_only(shapes_world, monkeypatch):
    import shutil

    from mmzoo.data import shapes as shapes_package
    from mmzoo.data.specs import spoken_items

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    root = shapes_world(n=20, seed=4, audio=True)
    monkeypatch.setattr(DataSpec, "shapes_root", lambda self: root)
    heard = spoken_items(parse_data("shapes:test"))
    unheard = spoken_items(parse_data("shapes:test?voices=unheard"))
    assert [i.image for i in heard] == [i.image for i in unheard] and len(heard) == 5 * 2
    assert {i.speaker.partition("+")[0] for i in unheard} == {shapes_package.HELD_OUT_FAMILY}
    assert shapes_package.HELD_OUT_FAMILY not in {i.speaker.partition("+")[0] for i in heard}
    with pytest.raises(DatasetError, match="val and test splits only"):
        spoken_items(parse_data("shapes:train?voices=unheard"))


def test_path_specs_name_a_split_or_take_one(tmp_path):
    spec = parse_data("data/dataset_coco.json?split=val")
    assert spec.path == Path("data/dataset_coco.json") and spec.split == "val"
    assert parse_data("data/dataset_coco.json", split="train").split == "train"
    odd = tmp_path / "odd?name.json"  # an existing file whose name has a '?' is just a path
    odd.write_text("{}")
    assert parse_data(str(odd)).path == odd
    with pytest.raises(DatasetError, match="unknown split 'dev'"):
        parse_data("data/dataset_coco.json?split=dev")
    with pytest.raises(DatasetError, match="unknown option"):
        parse_data("data/dataset_coco.json?limit=3")


def test_training_data_comes_with_validation_data(tmp_path):
    karpathy = write(tmp_path / "dataset_flickr8k.json", {"dataset": "flickr8k", "images": [
        {"filename": f"{i}.jpg", "split": split, "sentences": [{"raw": f"caption {i}"}]}
        for i, split in enumerate(("train", "restval", "val", "test"))]})
    train, val = train_and_val(lambda spec: readers.read_karpathy(spec.path, tmp_path, split=spec.split),
                               str(karpathy))
    assert [i.captions for i in train] == [["caption 0"], ["caption 1"]] and [i.captions for i in val] == [["caption 2"]]
    coco = write(tmp_path / "captions.json", {"images": [], "annotations": []})
    with pytest.raises(DatasetError, match="no validation split.*--val-data"):
        train_and_val(lambda spec: [], str(coco))
    assert train_and_val(lambda spec: [spec.path.name, spec.split], str(coco), str(karpathy)) == \
        (["captions.json", "train"], ["dataset_flickr8k.json", "val"])
