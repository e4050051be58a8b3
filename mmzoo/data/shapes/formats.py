"""The annotation files, in the real datasets' formats.

COCO captions, a Karpathy split file, VQA v2 questions and annotations, Places-style spoken
captions and a JSONL of OCR pages. Image ids start at 1 (COCO); question ids are the image id
times 1000 plus the question's number (VQA v2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..names import HELD_OUT
from ..tokens import tokenize

VERSION = "2"  # of the generated content: bump it when a seed's files change (2: every caption spoken)
UNHEARD = "_unheard"  # suffix of the spoken captions in the held-out voice family
UNHEARD_SPLITS = ("val", "test")
SPLITS = ("train", "val", "test")
JSON_INDENT = 1


def image_id(index: int) -> int:
    """Scene ``index`` (0-based) has image id ``index + 1``: ids start at 1, as in COCO."""
    return index + 1


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, sort_keys=True, indent=JSON_INDENT, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def _write_annotations(out: Path, items: list[dict], image_size: int, seed: int,
                       audio: bool, ocr: bool) -> dict[str, dict[str, int]]:
    """Write every JSON file from the scenes' annotations; return the counts per split and modality."""
    info = {"description": "mmzoo Shapes world", "version": VERSION, "seed": seed}
    karpathy: list[dict] = []
    counts = {}
    for split in SPLITS:
        mine = [item for item in items if item["split"] == split]
        counts[split] = {
            "images": len(mine),
            "captions": _write_captions(out, split, mine, info, image_size, karpathy),
            "questions": _write_vqa(out, split, mine, info),
            "audio": _write_spoken(out, split, mine) if audio else 0,
            "audio_unheard": _write_spoken(out, split, mine, UNHEARD) if audio and split in UNHEARD_SPLITS else 0,
            "ocr": _write_pages(out, split, mine) if ocr else 0,
        }
    held_out = [{**item, "split": HELD_OUT, "questions": item[HELD_OUT]} for item in items if HELD_OUT in item]
    if held_out:  # a wild world's test scenes in the held-out style and phrasing (not in the Karpathy file)
        counts[HELD_OUT] = {"images": len(held_out), "questions": _write_vqa(out, HELD_OUT, held_out, info),
                            "captions": _write_captions(out, HELD_OUT, held_out, info, image_size, [])}
    _write_json(out / "dataset_shapes.json", {"dataset": "shapes", "images": karpathy})
    return counts


def _write_captions(out: Path, split: str, items: list[dict], info: dict, image_size: int,
                    karpathy: list[dict]) -> int:
    """COCO captions for one split; appends the split's images to the Karpathy list."""
    images, rows = [], []
    for item in items:
        iid = image_id(item["index"])
        images.append({"id": iid, "file_name": f"{split}/{iid:06d}.png", "width": image_size, "height": image_size})
        mine = [{"id": iid * 10 + k, "image_id": iid, "caption": c} for k, c in enumerate(item["captions"])]
        rows += mine
        imgid = len(karpathy)
        karpathy.append({"filepath": split, "filename": f"{iid:06d}.png", "imgid": imgid, "cocoid": iid,
                         "split": split, "sentids": [r["id"] for r in mine],
                         "sentences": [{"raw": r["caption"], "tokens": tokenize(r["caption"]), "imgid": imgid,
                                        "sentid": r["id"]} for r in mine]})
    _write_json(out / "annotations" / f"captions_{split}.json", {"info": info, "images": images, "annotations": rows})
    return len(rows)


def _write_spoken(out: Path, split: str, items: list[dict], suffix: str = "") -> int:
    """``spoken_captions_{split}{suffix}.json``: every caption of every image, in the voices it was said in."""
    key, folder = ("unheard" if suffix else "speech"), f"{split}{suffix}"
    data = []
    for item in items:
        name = f"{image_id(item['index']):06d}"
        data += [{"uttid": f"{name}_{k}{suffix}", "speaker": said["voice"], "asr_text": said["text"],
                  "wav": f"{folder}/{name}_{k}.wav", "image": f"{split}/{name}.png"}
                 for k, said in enumerate(item[key])]
    _write_json(out / f"spoken_captions_{split}{suffix}.json",
                {"image_base_path": "images", "audio_base_path": "audio", "data": data})
    return len(data)


def _write_pages(out: Path, split: str, items: list[dict]) -> int:
    lines = [json.dumps({"image": f"{split}/{image_id(item['index']):06d}.png", "text": item["ocr"]},
                        sort_keys=True, ensure_ascii=False) + "\n" for item in items]
    (out / "ocr" / f"{split}.jsonl").write_text("".join(lines), encoding="utf-8")
    return len(lines)


def _write_vqa(out: Path, split: str, items: list[dict], info: dict) -> int:
    questions_rows, annotations = [], []
    for item in items:
        iid = image_id(item["index"])
        for k, (question, answer, question_type, answer_type) in enumerate(item["questions"]):
            qid = iid * 1000 + k  # the VQA v2 convention: image id times 1000 plus the question's number
            questions_rows.append({"image_id": iid, "question": question, "question_id": qid})
            annotations.append({
                "question_id": qid, "image_id": iid, "question_type": question_type, "answer_type": answer_type,
                "multiple_choice_answer": answer,
                "answers": [{"answer": answer, "answer_confidence": "yes", "answer_id": a} for a in range(1, 11)],
            })
    _write_json(out / "vqa" / f"{split}_questions.json",
                {"info": info, "task_type": "Open-Ended", "data_type": "shapes", "data_subtype": split,
                 "questions": questions_rows})
    _write_json(out / "vqa" / f"{split}_annotations.json",
                {"info": info, "data_type": "shapes", "data_subtype": split, "annotations": annotations})
    return len(questions_rows)
