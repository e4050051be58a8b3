"""``--data`` specs: one grammar for `mmzoo eval`, `mmzoo train` and batch jobs.

    shapes[:SPLIT][?n=N&seed=S&voices=V&variety=plain|wild]   the Shapes world, generated once into
                                                              the mmzoo cache
    PATH[?split=SPLIT]             a dataset file or folder; its reader is picked by its format

SPLIT is train, val or test; ``voices`` picks the spoken captions (``heard``, the default: the
training accents; ``unheard``: the held-out accent, val and test only). ``variety=wild`` is the
world in varied drawing styles, backgrounds, resolutions and question phrasings, with one more
split for evaluation, ``heldout``: its test scenes in a style and phrasing no split trains on. Without one, the consumer picks: evaluation reads ``test``;
training reads ``train`` and validates on ``val`` of the same world or Karpathy JSON (other
formats have no splits, so training on them needs a separate validation spec).
Formats: COCO captions JSON, Karpathy split JSON, VQA v2 questions JSON (annotations beside it),
Places-style spoken-captions JSON, OCR JSONL/CSV, and image folders with a captions file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, TypeVar
from urllib.parse import parse_qs

from ..errors import DatasetError
from . import DEFAULT_SHAPES_N, HELD_OUT, SPLITS, VARIETIES, ensure_shapes, readers

T = TypeVar("T")
VOICE_SETS = ("heard", "unheard")


@dataclass(frozen=True)
class DataSpec:
    """A parsed ``--data`` value (see the module's grammar)."""

    text: str  # as given
    path: Path | None = None  # None for the Shapes world
    split: str | None = None
    n: int = DEFAULT_SHAPES_N  # Shapes only
    seed: int = 0  # Shapes only
    images: Path | None = None  # the folder a dataset's image/audio paths are relative to
    voices: str = "heard"  # Shapes spoken captions: heard (training accents) or unheard (the held-out one)
    variety: str = "plain"  # Shapes: plain, or wild (varied looks and phrasings, with the heldout split)

    @property
    def is_shapes(self) -> bool:
        return self.path is None

    def with_split(self, split: str) -> DataSpec:
        return replace(self, split=_check_split(split, self.text, self.is_shapes))

    def split_or(self, default: str) -> DataSpec:
        """This spec with ``default`` as its split when it names none."""
        return self if self.split else self.with_split(default)

    def has_splits(self) -> bool:
        """Whether one spec holds train/val/test (the Shapes world, a Karpathy JSON)."""
        return self.is_shapes or _is_karpathy(self.path)

    def shapes_root(self) -> Path:
        return ensure_shapes(self.n, self.seed, self.variety)

    def existing_path(self) -> Path:
        if not self.path.exists():
            raise DatasetError(f"dataset not found: {self.path} (give a file, a folder, or shapes:test)")
        return self.path


def parse_data(text: str, *, split: str | None = None, images: str | Path | None = None) -> DataSpec:
    """Parse a ``--data`` value; ``split`` and ``images`` come from separate options when given."""
    text = str(text)
    base, _, query = text.partition("?")
    options = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    root = Path(images).expanduser() if images else None
    if root is not None and not root.is_dir():
        raise DatasetError(f"image folder not found: {root}")
    if base == "shapes" or base.startswith("shapes:"):
        named = base.partition(":")[2] or None
        _unknown(options, {"n", "seed", "voices", "variety"}, text, "Shapes ")
        try:
            n, seed = int(options.get("n", DEFAULT_SHAPES_N)), int(options.get("seed", 0))
        except ValueError:
            raise DatasetError(f"n and seed must be integers in {text!r}") from None
        if n < 1:
            raise DatasetError(f"n must be at least 1 in {text!r}")
        voices = options.get("voices", "heard")
        if voices not in VOICE_SETS:
            raise DatasetError(f"voices must be one of {', '.join(VOICE_SETS)} in {text!r}, got {voices!r}")
        variety = options.get("variety", "plain")
        if variety not in VARIETIES:
            raise DatasetError(f"variety must be one of {', '.join(VARIETIES)} in {text!r}, got {variety!r}")
        chosen = _one_split(named, split, text, True)
        if chosen == HELD_OUT and variety != "wild":
            raise DatasetError(f"{text}: only the wild world has a {HELD_OUT} split (add variety=wild)")
        return DataSpec(text, None, chosen, n, seed, root, voices, variety)
    if query and not Path(text).expanduser().exists():
        _unknown(options, {"split"}, text)
        path, named = Path(base).expanduser(), options.get("split")
    else:
        path, named = Path(text).expanduser(), None
    return DataSpec(text, path, _one_split(named, split, text, False), images=root)


def _one_split(named: str | None, option: str | None, text: str, shapes: bool) -> str | None:
    if named and option and named != option:
        raise DatasetError(f"{text!r} names split {named!r} but split {option!r} was asked for; give one")
    chosen = named or option
    return _check_split(chosen, text, shapes) if chosen else None


def _check_split(split: str, text: str, shapes: bool) -> str:
    known = (*SPLITS, HELD_OUT) if shapes else SPLITS
    if split not in known:
        kind = "Shapes split" if shapes else "split"
        raise DatasetError(f"unknown {kind} {split!r} in {text!r}; use one of {', '.join(known)}")
    return split


def _unknown(options: dict[str, str], known: set[str], text: str, kind: str = "") -> None:
    extra = sorted(set(options) - known)
    if extra:
        raise DatasetError(f"unknown {kind}option(s) {', '.join(extra)} in {text!r}; "
                           f"use {', '.join(sorted(known))}")


def _is_karpathy(path: Path | None) -> bool:
    if path is None or path.suffix.lower() != ".json" or not path.is_file():
        return False
    stat = path.stat()
    return _karpathy_format(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=32)
def _karpathy_format(path: str, mtime_ns: int, size: int) -> bool:
    """Whether a JSON file is a Karpathy split file, read once per version of the file (a recipe asks
    for its train and val splits, and COCO's is ~140 MB)."""
    content = readers.load_json(path)
    return isinstance(content, dict) and "dataset" in content and "images" in content


# -- readers by kind of item ----------------------------------------------------------------


def caption_items(spec: DataSpec) -> list[readers.CaptionItem]:
    """Images with reference captions: Shapes, COCO captions JSON, Karpathy JSON, or a folder + captions file."""
    if spec.is_shapes:
        root = spec.shapes_root()
        return readers.read_coco_captions(root / "annotations" / f"captions_{spec.split or 'test'}.json",
                                          root / "images")
    path = spec.existing_path()
    if path.is_dir():
        return [item for item in readers.read_folder(path) if item.captions]
    if _is_karpathy(path):
        return readers.read_karpathy(path, spec.images, split=spec.split or "test")
    return readers.read_coco_captions(path, spec.images)


def text_image_items(spec: DataSpec) -> list[readers.TextImage]:
    """Images with their text (OCR): Shapes pages, OCR JSONL or CSV."""
    if spec.is_shapes:
        _no_held_out(spec, "OCR pages")
        return readers.read_text_images(spec.shapes_root() / "ocr" / f"{spec.split or 'test'}.jsonl")
    return readers.read_text_images(spec.existing_path(), spec.images)


def vqa_items(spec: DataSpec) -> list[readers.VQAItem]:
    """Questions about images with their answers: Shapes, or a VQA v2 questions JSON (annotations beside it)."""
    if spec.is_shapes:
        root, split = spec.shapes_root(), spec.split or "test"
        return readers.read_vqa(root / "vqa" / f"{split}_questions.json", root / "vqa" / f"{split}_annotations.json",
                                root / "images", image_pattern="{data_subtype}/{image_id:06d}.png")
    questions = spec.existing_path()
    subtype = readers.load_json(questions).get("data_subtype", "")
    # Shapes/our own naming, then VQA v2's (v2_OpenEnded_mscoco_val2014_questions.json ->
    # v2_mscoco_val2014_annotations.json).
    candidates = [questions.with_name(questions.name.replace("questions", "annotations")),
                  *sorted(questions.parent.glob(f"*{subtype}_annotations.json"))]
    annotations = next((c for c in candidates if c.is_file() and c != questions), None)
    if annotations is None:
        raise DatasetError(f"no annotations beside {questions} (looked for {candidates[0].name} and "
                           f"*{subtype}_annotations.json)")
    # COCO keeps images in <root>/<subtype>/ (val2014/COCO_val2014_....jpg); try the usual places.
    roots = [questions.parent.parent / subtype, questions.parent.parent / "images" / subtype,
             questions.parent.parent / "images", questions.parent / subtype, questions.parent]
    return readers.read_vqa(questions, annotations, spec.images or next(r for r in roots if r.is_dir()))


def spoken_items(spec: DataSpec) -> list[readers.SpokenCaption]:
    """Spoken captions of images: Shapes (espeak-ng voices; ``voices=unheard``: the held-out accent) or a
    Places-style spoken-captions JSON."""
    if spec.is_shapes:
        _no_held_out(spec, "spoken captions (voices=unheard is their held-out accent)")
        split = spec.split or "test"
        if spec.voices == "unheard" and split == "train":
            raise DatasetError(f"{spec.text}: the held-out accent is spoken in the val and test splits only")
        suffix = "_unheard" if spec.voices == "unheard" else ""
        return readers.read_spoken_captions(spec.shapes_root() / f"spoken_captions_{split}{suffix}.json")
    return readers.read_spoken_captions(spec.existing_path(), spec.images)


def _no_held_out(spec: DataSpec, what: str) -> None:
    if spec.split == HELD_OUT:
        raise DatasetError(f"{spec.text}: the {HELD_OUT} split holds images, captions and questions, not {what}; "
                           "use the test split")


def train_and_val(read: Callable[[DataSpec], list[T]], data: str, val_data: str | None = None,
                  images: str | Path | None = None) -> tuple[list[T], list[T]]:
    """Training and validation items for a recipe: ``data``'s train split and ``val_data`` (by default
    the val split of the same world or Karpathy JSON)."""
    spec = parse_data(data, images=images)
    train = spec.split_or("train")
    if val_data is not None:
        return read(train), read(parse_data(val_data, images=images).split_or("val"))
    if not spec.has_splits():
        raise DatasetError(f"{data} has no validation split: give the validation data too (--val-data)")
    if spec.split not in (None, "train"):
        raise DatasetError(f"{data} names split {spec.split!r}; a recipe trains on 'train' (and validates on 'val')")
    return read(train), read(spec.with_split("val"))

