""":func:`generate`: a Shapes world written to a folder.

It checks its arguments, prepares the folder (replacing an earlier world), builds the scenes,
in worker processes when asked, and writes the annotation files.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from ... import espeak
from ...errors import InvalidInput, MMZooError
from ..names import HELD_OUT
from .examples import example
from .formats import SPLITS, UNHEARD, UNHEARD_SPLITS, VERSION, _write_annotations, _write_json, image_id
from .pages import check_fonts, ocr_page
from .rendering import render
from .speech import SAMPLE_RATE, Speech, espeak_program, synthesise
from .variety import HELD_OUT_STYLE, check_variety, render_look

PNG_OPTIONS = {"format": "PNG", "compress_level": 6, "optimize": False}  # fixed: identical bytes per run


@dataclass(frozen=True)
class _Job:
    out: str
    seed: int
    index: int
    split: str
    image_size: int
    audio: bool
    ocr: bool
    espeak: str | None
    variety: str = "plain"


def _build(job: _Job) -> dict[str, Any]:
    """Render and write one scene's files; return the annotations for the JSON files."""
    out, name = Path(job.out), f"{image_id(job.index):06d}"
    ex = example(job.seed, job.index, job.image_size, job.variety)
    image = render(ex.scene) if ex.look is None else render_look(ex.scene, ex.look)
    image.save(out / "images" / job.split / f"{name}.png", **PNG_OPTIONS)
    item: dict[str, Any] = {"index": job.index, "split": job.split, "captions": ex.captions,
                            "questions": [(q.question, q.answer, q.question_type, q.answer_type) for q in ex.questions]}
    if ex.look is not None and job.split == "test":  # the held-out split: these scenes, unseen style and phrasing
        render_look(ex.scene, ex.look, HELD_OUT_STYLE).save(out / "images" / HELD_OUT / f"{name}.png", **PNG_OPTIONS)
        item[HELD_OUT] = [(q.question, q.answer, q.question_type, q.answer_type) for q in ex.held_out_questions]
    if job.audio:
        item["speech"] = _speak(ex.speech, out / "audio" / job.split, name, job.espeak)
        if job.split in UNHEARD_SPLITS:
            item["unheard"] = _speak(ex.unheard, out / "audio" / f"{job.split}{UNHEARD}", name, job.espeak)
    if job.ocr:
        page, text = ocr_page(job.seed, job.index)
        page.save(out / "ocr" / job.split / f"{name}.png", **PNG_OPTIONS)
        item["ocr"] = text
    return item


def _speak(speech: list[Speech], folder: Path, name: str, program: str | None) -> list[dict[str, Any]]:
    """Write ``{name}_{k}.wav`` for every caption ``k``; return how each was said."""
    import soundfile

    said = []
    for k, s in enumerate(speech):
        samples = synthesise(s.text, s.voice, s.rate, s.pitch, program or "espeak-ng")
        soundfile.write(folder / f"{name}_{k}.wav", samples, SAMPLE_RATE, subtype="PCM_16")
        said.append({"text": s.text, "voice": s.voice, "rate": s.rate, "pitch": s.pitch})
    return said


def split_sizes(n: int, fractions: Sequence[float]) -> list[int]:
    """Scenes per split: largest remainders, and at least one for every non-zero fraction when n allows."""
    raw = [n * f for f in fractions]
    sizes = [math.floor(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: (sizes[i] - raw[i], i))[: n - sum(sizes)]:
        sizes[i] += 1
    for i, f in enumerate(fractions):
        if f > 0 and sizes[i] == 0 and max(sizes) > 1:
            sizes[sizes.index(max(sizes))] -= 1
            sizes[i] = 1
    return sizes


def split_of(n: int, fractions: Sequence[float]) -> list[str]:
    """The split of every scene: consecutive blocks, train first."""
    return [split for split, size in zip(SPLITS, split_sizes(n, fractions)) for _ in range(size)]


def generate(out_dir: str | Path, n: int = 1000, seed: int = 0, splits: Sequence[float] = (0.8, 0.1, 0.1),
             audio: bool = True, ocr: bool = True, workers: int = 2, image_size: int = 128,
             progress: Callable[[int, int], None] | None = None, variety: str = "plain") -> dict[str, Any]:
    """Write ``n`` scenes to ``out_dir`` in the real datasets' formats; return ``meta.json``'s content.

    ``splits`` are the train/val/test fractions. ``variety="wild"`` draws the scenes in varied styles,
    backgrounds, resolutions and phrasings and adds the ``heldout`` split (:mod:`.variety`). ``workers`` processes render and speak the scenes
    (1 runs inline); the files do not depend on it. ``progress(done, total)`` is called as scenes
    finish. ``out_dir`` must be empty, new, or an earlier Shapes world (which is replaced).
    """
    _check_arguments(n, seed, splits, workers, image_size)
    check_variety(variety)
    program = espeak_program() if audio else None
    if ocr:
        check_fonts()
    out = _prepare(Path(out_dir), audio, ocr, held_out=variety == "wild")
    jobs = [_Job(str(out), seed, i, split, image_size, audio, ocr, program, variety)
            for i, split in enumerate(split_of(n, splits))]
    items = _run_jobs(jobs, workers, progress)
    counts = _write_annotations(out, items, image_size, seed, audio, ocr)
    meta = {"generator": "mmzoo.data.shapes", "version": VERSION, "seed": seed, "n": n, "variety": variety,
            "image_size": image_size, "splits": dict(zip(SPLITS, splits)), "counts": counts,
            "audio": {"sample_rate": SAMPLE_RATE, "espeak_ng": espeak.version(program)} if audio else None}
    _write_json(out / "meta.json", meta)
    return meta


def _check_arguments(n: int, seed: int, splits: Sequence[float], workers: int, image_size: int) -> None:
    if not isinstance(n, int) or n < 1:
        raise InvalidInput(f"n must be a positive number of scenes, got {n!r}")
    if not isinstance(seed, int) or seed < 0:
        raise InvalidInput(f"seed must be a non-negative integer, got {seed!r}")
    if len(splits) != 3 or any(f < 0 for f in splits) or abs(sum(splits) - 1) > 1e-6:
        raise InvalidInput(f"splits must be three train/val/test fractions summing to 1, got {tuple(splits)}")
    if not isinstance(workers, int) or workers < 1:
        raise InvalidInput(f"workers must be at least 1, got {workers!r}")
    if not isinstance(image_size, int) or image_size < 32:
        raise InvalidInput(f"image_size must be at least 32 pixels, got {image_size!r}")


OUTPUTS = ("images", "annotations", "vqa", "audio", "ocr", "dataset_shapes.json", "meta.json",
           *(f"spoken_captions_{split}.json" for split in SPLITS),
           *(f"spoken_captions_{split}{UNHEARD}.json" for split in UNHEARD_SPLITS))


def _prepare(out: Path, audio: bool, ocr: bool, held_out: bool = False) -> Path:
    """Create the folders; refuse a non-empty folder unless it holds an earlier Shapes world."""
    if out.exists() and any(out.iterdir()):
        if not (out / "meta.json").is_file() or _read_generator(out / "meta.json") != "mmzoo.data.shapes":
            raise InvalidInput(f"{out} is not empty and holds no Shapes world; choose a new or empty folder")
        for name in OUTPUTS:  # only what an earlier run wrote, so no stale file survives
            path = out / name
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    kinds = ["images", "audio" if audio else None, "ocr" if ocr else None]
    for kind in filter(None, kinds):
        for split in SPLITS:
            (out / kind / split).mkdir(parents=True, exist_ok=True)
    if held_out:
        (out / "images" / HELD_OUT).mkdir(parents=True, exist_ok=True)
    if audio:
        for split in UNHEARD_SPLITS:
            (out / "audio" / f"{split}{UNHEARD}").mkdir(parents=True, exist_ok=True)
    (out / "annotations").mkdir(exist_ok=True)
    (out / "vqa").mkdir(exist_ok=True)
    return out


def _read_generator(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("generator")
    except (OSError, ValueError, AttributeError):
        return None


def _run_jobs(jobs: list[_Job], workers: int, progress: Callable[[int, int], None] | None) -> list[dict]:
    """Build every scene, in order; ``workers`` > 1 spreads them over processes."""
    items: list[dict] = []

    def collect(results: Any) -> list[dict]:
        for item in results:
            items.append(item)
            if progress is not None:
                progress(len(items), len(jobs))
        return items

    if workers == 1 or len(jobs) == 1:
        return collect(map(_build, jobs))
    from concurrent.futures import ProcessPoolExecutor  # a dead worker raises instead of hanging
    from concurrent.futures.process import BrokenProcessPool

    executor = ProcessPoolExecutor(min(workers, len(jobs)), mp_context=_process_context())
    try:
        return collect(executor.map(_build, jobs, chunksize=max(1, min(16, len(jobs) // (4 * workers)))))
    except BrokenProcessPool as exc:
        raise MMZooError(f"a Shapes worker process died ({exc}); run with workers=1 to see why") from exc
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _process_context() -> Any:
    """fork when this process runs one thread (fast, and works from stdin scripts), else spawn:
    forking a threaded process (the app) can deadlock. Either way the files are the same."""
    import multiprocessing
    import threading

    single = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if single else "spawn")
