"""Readers for the real dataset formats (and the Shapes world, which writes the same formats).

- COCO captions JSON (``captions_train2014.json``)
- Karpathy split JSON (``dataset_coco.json``, ``dataset_flickr30k.json``, ``dataset_flickr8k.json``)
- VQA v2 questions + annotations JSON
- spoken captions JSON in the Places audio captions layout
- a plain folder of images, with an optional captions/labels CSV or JSONL

A bad or missing file raises :class:`~mmzoo.errors.DatasetError` naming the file and the field.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..errors import DatasetError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


@dataclass
class CaptionItem:
    """An image and its reference captions (any number, possibly none)."""

    image_id: int | str
    image: Path
    captions: list[str] = field(default_factory=list)
    split: str | None = None


@dataclass
class VQAItem:
    question_id: int
    image_id: int
    image: Path | None
    question: str
    answers: list[str] = field(default_factory=list)  # the (usually 10) human answers; empty without annotations
    answer_type: str | None = None
    question_type: str | None = None
    multiple_choice_answer: str | None = None


@dataclass
class SpokenCaption:
    uttid: str
    audio: Path
    image: Path
    transcript: str = ""
    speaker: str | None = None


@dataclass
class TextImage:
    """An image and the text it shows (OCR ground truth)."""

    image: Path
    text: str


# -- helpers ---------------------------------------------------------------------------


def load_json(path: str | Path) -> Any:
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"dataset file not found: {path}")
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: not valid JSON ({exc})") from None


def need(record: Any, key: str, where: str) -> Any:
    """``record[key]``, or a DatasetError naming where it was expected."""
    if not isinstance(record, dict):
        raise DatasetError(f"{where}: expected an object, got {type(record).__name__}")
    if key not in record:
        raise DatasetError(f"{where}: missing field '{key}'")
    return record[key]


def _list_of(record: Any, key: str, where: str) -> list[Any]:
    value = need(record, key, where)
    if not isinstance(value, list):
        raise DatasetError(f"{where}: field '{key}' must be a list")
    return value


# -- captions --------------------------------------------------------------------------


def read_coco_captions(path: str | Path, image_root: str | Path | None = None) -> list[CaptionItem]:
    """COCO captions JSON: ``images`` [{id, file_name}] and ``annotations`` [{image_id, caption}].

    ``image_root`` defaults to an ``images/`` folder beside the JSON's folder, else the JSON's folder.
    """
    path = Path(path)
    data = load_json(path)
    root = Path(image_root) if image_root else _default_image_root(path)
    items: dict[Any, CaptionItem] = {}
    for i, image in enumerate(_list_of(data, "images", str(path))):
        where = f"{path}: images[{i}]"
        items[need(image, "id", where)] = CaptionItem(need(image, "id", where), root / need(image, "file_name", where))
    for i, annotation in enumerate(_list_of(data, "annotations", str(path))):
        where = f"{path}: annotations[{i}]"
        image_id = need(annotation, "image_id", where)
        if image_id not in items:
            raise DatasetError(f"{where}: image_id {image_id!r} is not in 'images'")
        items[image_id].captions.append(str(need(annotation, "caption", where)).strip())
    return list(items.values())


def read_karpathy(path: str | Path, image_root: str | Path | None = None,
                  split: str | None = None) -> list[CaptionItem]:
    """Karpathy split JSON (COCO/Flickr30k/Flickr8k): images with ``sentences`` and ``split``.

    ``split`` keeps one split; ``restval`` counts as ``train`` (as in the papers' training sets).
    """
    path = Path(path)
    data = load_json(path)
    root = Path(image_root) if image_root else _default_image_root(path)
    items = []
    for i, image in enumerate(_list_of(data, "images", str(path))):
        where = f"{path}: images[{i}]"
        image_split = need(image, "split", where)
        image_split = "train" if image_split == "restval" else image_split
        if split is not None and image_split != split:
            continue
        folder = root / image["filepath"] if image.get("filepath") else root
        sentences = _list_of(image, "sentences", where)
        captions = [str(need(s, "raw", f"{where}.sentences[{j}]")).strip() for j, s in enumerate(sentences)]
        image_id = image.get("cocoid", image.get("imgid", i))
        items.append(CaptionItem(image_id, folder / need(image, "filename", where), captions, image_split))
    return items


def _default_image_root(json_path: Path) -> Path:
    for candidate in (json_path.parent / "images", json_path.parent.parent / "images"):
        if candidate.is_dir():
            return candidate
    return json_path.parent


# -- VQA -------------------------------------------------------------------------------

COCO_VQA_IMAGE = "COCO_{data_subtype}_{image_id:012d}.jpg"


def read_vqa(questions_path: str | Path, annotations_path: str | Path | None = None,
             image_root: str | Path | None = None, image_pattern: str | None = None) -> list[VQAItem]:
    """VQA v2 questions (+ annotations) JSON.

    Image files are found with ``image_pattern`` formatted with ``image_id`` and ``data_subtype``;
    the default is the COCO naming (``COCO_val2014_000000000042.jpg``).
    """
    questions_path = Path(questions_path)
    data = load_json(questions_path)
    subtype = data.get("data_subtype", "") if isinstance(data, dict) else ""
    pattern = image_pattern or COCO_VQA_IMAGE
    root = Path(image_root) if image_root else None
    annotations: dict[int, dict[str, Any]] = {}
    if annotations_path is not None:
        annotations_path = Path(annotations_path)
        for i, ann in enumerate(_list_of(load_json(annotations_path), "annotations", str(annotations_path))):
            annotations[need(ann, "question_id", f"{annotations_path}: annotations[{i}]")] = ann
    items = []
    for i, question in enumerate(_list_of(data, "questions", str(questions_path))):
        where = f"{questions_path}: questions[{i}]"
        question_id, image_id = need(question, "question_id", where), need(question, "image_id", where)
        image = root / pattern.format(image_id=image_id, data_subtype=subtype) if root else None
        item = VQAItem(question_id, image_id, image, str(need(question, "question", where)))
        if annotations_path is not None:
            ann = annotations.get(question_id)
            if ann is None:
                raise DatasetError(f"{annotations_path}: no annotation for question_id {question_id}")
            where = f"{annotations_path}: question_id {question_id}"
            item.answers = [str(need(a, "answer", where)) for a in _list_of(ann, "answers", where)]
            item.answer_type = ann.get("answer_type")
            item.question_type = ann.get("question_type")
            item.multiple_choice_answer = ann.get("multiple_choice_answer")
        items.append(item)
    return items


# -- spoken captions -------------------------------------------------------------------


def read_spoken_captions(path: str | Path, root: str | Path | None = None) -> list[SpokenCaption]:
    """Places audio captions layout: ``image_base_path``, ``audio_base_path`` and ``data`` entries
    with ``uttid``, ``wav``, ``image``, ``asr_text`` (or ``transcript``) and ``speaker``.
    Base paths are relative to ``root`` (default: the JSON's folder) unless absolute.
    """
    path = Path(path)
    data = load_json(path)
    base = Path(root) if root else path.parent
    image_base = base / str(data.get("image_base_path", "")) if isinstance(data, dict) else base
    audio_base = base / str(data.get("audio_base_path", "")) if isinstance(data, dict) else base
    items = []
    for i, entry in enumerate(_list_of(data, "data", str(path))):
        where = f"{path}: data[{i}]"
        transcript = entry.get("asr_text", entry.get("transcript", "")) if isinstance(entry, dict) else ""
        items.append(SpokenCaption(str(entry.get("uttid", i)) if isinstance(entry, dict) else str(i),
                                   audio_base / need(entry, "wav", where), image_base / need(entry, "image", where),
                                   str(transcript), entry.get("speaker")))
    return items


# -- folders ---------------------------------------------------------------------------


def read_folder(folder: str | Path, labels: str | Path | None = None) -> list[CaptionItem]:
    """Every image in ``folder`` (sorted, recursive), with captions from an optional CSV or JSONL.

    The CSV needs columns ``file_name`` (or ``image``) and ``caption`` (or ``text``), one row per
    caption; the JSONL the same keys per line. Without one, ``captions.csv`` / ``captions.jsonl``
    in the folder are used when present.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"image folder not found: {folder}")
    images = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise DatasetError(f"{folder}: no images found ({', '.join(sorted(IMAGE_SUFFIXES))})")
    items = {p.relative_to(folder).as_posix(): CaptionItem(p.relative_to(folder).as_posix(), p) for p in images}
    if labels is None:
        labels = next((folder / n for n in ("captions.csv", "captions.jsonl") if (folder / n).is_file()), None)
    if labels is not None:
        for name, caption, where in _label_rows(Path(labels)):
            if name not in items:
                raise DatasetError(f"{where}: image {name!r} is not in {folder}")
            items[name].captions.append(caption)
    return list(items.values())


def read_text_images(path: str | Path, image_root: str | Path | None = None) -> list[TextImage]:
    """OCR ground truth: a JSONL or CSV of ``image`` + ``text`` (paths relative to ``image_root``,
    default the file's folder)."""
    path = Path(path)
    root = Path(image_root) if image_root else path.parent
    return [TextImage(root / name, text) for name, text, _ in _label_rows(path)]


def _label_rows(path: Path) -> Iterable[tuple[str, str, str]]:
    if not path.is_file():
        raise DatasetError(f"labels file not found: {path}")
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        records = [(row, f"{path}: row {i + 2}") for i, row in enumerate(rows)]
    elif path.suffix.lower() in (".jsonl", ".ndjson"):
        records = []
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                try:
                    records.append((json.loads(line), f"{path}: line {i + 1}"))
                except json.JSONDecodeError as exc:
                    raise DatasetError(f"{path}: line {i + 1} is not valid JSON ({exc})") from None
    else:
        raise DatasetError(f"{path}: labels must be .csv or .jsonl")
    for record, where in records:
        name = record.get("file_name", record.get("image")) if isinstance(record, dict) else None
        text = record.get("caption", record.get("text")) if isinstance(record, dict) else None
        if name is None:
            raise DatasetError(f"{where}: missing field 'file_name' (or 'image')")
        if text is None:
            raise DatasetError(f"{where}: missing field 'caption' (or 'text')")
        yield str(name), str(text), where


def group_captions(items: Iterable[CaptionItem]) -> dict[Any, list[str]]:
    """image id -> reference captions (for the caption metrics)."""
    grouped: dict[Any, list[str]] = defaultdict(list)
    for item in items:
        grouped[item.image_id].extend(item.captions)
    return dict(grouped)
