"""Datasets: readers for the real formats, the Shapes world, and ``--data`` specs for `mmzoo eval`.

A data spec is either ``shapes:SPLIT`` (the Shapes world, generated once into the mmzoo cache;
``shapes:test?n=2000&seed=1`` picks its size and seed) or a path to a dataset file or folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import parse_qs

from ..errors import DatasetError

DEFAULT_SHAPES_N = 1000
SPLITS = ("train", "val", "test")


def mmzoo_home() -> Path:
    """Where mmzoo keeps generated data and trained checkpoints (``MMZOO_HOME``, default ~/.cache/mmzoo)."""
    return Path(os.environ.get("MMZOO_HOME", Path.home() / ".cache" / "mmzoo")).expanduser()


def ensure_shapes(n: int = DEFAULT_SHAPES_N, seed: int = 0) -> Path:
    """The Shapes world of this size and seed, generated on first use into the mmzoo cache."""
    from . import shapes

    audio = shutil.which("espeak-ng") is not None  # spoken captions only where espeak-ng is installed
    target = mmzoo_home() / "data" / f"shapes-v{shapes.VERSION}-seed{seed}-n{n}{'' if audio else '-noaudio'}"
    if (target / "meta.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".shapes-", dir=target.parent))
    try:
        shapes.generate(staging, n=n, seed=seed, audio=audio)
        staging.rename(target)  # atomic: a half-written world is never picked up
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not (target / "meta.json").is_file():  # not "another process finished first"
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def shapes_split_spec(data: str, split: str) -> str | None:
    """A training recipe's ``--data shapes`` / ``shapes?n=60&seed=3`` -> ``shapes:SPLIT?n=60&seed=3``
    (one Shapes world, any of its splits); None when ``data`` is a path."""
    base, _, query = data.partition("?")
    if base not in ("shapes", "shapes:"):
        return None
    return f"shapes:{split}" + (f"?{query}" if query else "")


def parse_shapes_spec(spec: str) -> tuple[str, int, int] | None:
    """``shapes:test?n=500&seed=1`` -> ("test", 500, 1); None when ``spec`` is not a Shapes spec."""
    if not spec.startswith("shapes:"):
        return None
    split, _, query = spec[len("shapes:"):].partition("?")
    if split not in SPLITS:
        raise DatasetError(f"unknown Shapes split {split!r} in {spec!r}; use one of {', '.join(SPLITS)}")
    params = {k: v[-1] for k, v in parse_qs(query).items()}
    unknown = set(params) - {"n", "seed"}
    if unknown:
        raise DatasetError(f"unknown Shapes option(s) {', '.join(sorted(unknown))} in {spec!r}; use n and seed")
    try:
        return split, int(params.get("n", DEFAULT_SHAPES_N)), int(params.get("seed", 0))
    except ValueError:
        raise DatasetError(f"n and seed must be integers in {spec!r}") from None
