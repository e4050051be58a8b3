"""Datasets: readers for the real formats (:mod:`.readers`), the Shapes world (:mod:`.shapes`),
and the ``--data`` grammar of `mmzoo eval` and `mmzoo train` (:mod:`.specs`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .names import HELD_OUT, VARIETIES  # noqa: F401  (re-exported)


DEFAULT_SHAPES_N = 1000
SPLITS = ("train", "val", "test")


def mmzoo_home() -> Path:
    """Where mmzoo keeps generated data and trained checkpoints (``MMZOO_HOME``, default ~/.cache/mmzoo)."""
    return Path(os.environ.get("MMZOO_HOME", Path.home() / ".cache" / "mmzoo")).expanduser()


def ensure_shapes(n: int = DEFAULT_SHAPES_N, seed: int = 0, variety: str = "plain") -> Path:
    """The Shapes world of this size, seed and variety, generated on first use into the mmzoo cache."""
    from . import shapes

    audio = shutil.which("espeak-ng") is not None  # spoken captions only where espeak-ng is installed
    kind = "" if variety == "plain" else f"-{variety}"
    target = mmzoo_home() / "data" / f"shapes-v{shapes.VERSION}{kind}-seed{seed}-n{n}{'' if audio else '-noaudio'}"
    if (target / "meta.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".shapes-", dir=target.parent))
    try:
        shapes.generate(staging, n=n, seed=seed, audio=audio, variety=variety)
        staging.rename(target)  # atomic: a half-written world is never picked up
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not (target / "meta.json").is_file():  # not "another process finished first"
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
