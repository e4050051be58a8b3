"""How long the Shapes world takes to generate, and whether it is reproducible.

Generates ``--n`` scenes (default 2000: images, captions, VQA, spoken captions, OCR pages) into a
temporary folder with ``--workers`` processes and prints the wall time (target < 120 s on 2 cores)
and the counts per modality. ``--check-determinism`` then generates ``--determinism-n`` scenes
twice with the same seed (once inline, once with the workers) and compares the sha256 of every file.

    python benchmarks/shapes.py [--n 2000] [--workers 2] [--check-determinism]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

from mmzoo.data.shapes import SPLITS, generate

TARGET_S = 120.0
MODALITIES = ("images", "captions", "questions", "audio", "ocr")


def digests(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root``."""
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file()}


def timed_run(n: int, workers: int, seed: int) -> None:
    with tempfile.TemporaryDirectory(prefix="shapes-bench-") as tmp:
        start = time.perf_counter()
        meta = generate(Path(tmp) / "shapes", n=n, seed=seed, workers=workers)
        seconds = time.perf_counter() - start
        files = sum(1 for path in Path(tmp).rglob("*") if path.is_file())
        size_mb = sum(path.stat().st_size for path in Path(tmp).rglob("*") if path.is_file()) / 1e6
    verdict = "ok" if seconds < TARGET_S else f"SLOWER than the {TARGET_S:.0f} s target"
    print(f"generate(n={n}, workers={workers}): {seconds:.1f} s wall ({verdict}), "
          f"{1000 * seconds / n:.1f} ms per scene, {files} files, {size_mb:.0f} MB")
    print(f"{'split':<6}" + "".join(f"{m:>11}" for m in MODALITIES))
    for split in (*SPLITS, "total"):
        row = meta["counts"].get(split) or {m: sum(meta["counts"][s][m] for s in SPLITS) for m in MODALITIES}
        print(f"{split:<6}" + "".join(f"{row[m]:>11}" for m in MODALITIES))


def check_determinism(n: int, workers: int, seed: int) -> bool:
    with tempfile.TemporaryDirectory(prefix="shapes-det-") as tmp:
        first, second = Path(tmp) / "a", Path(tmp) / "b"
        generate(first, n=n, seed=seed, workers=1)
        generate(second, n=n, seed=seed, workers=workers)
        a, b = digests(first), digests(second)
    differing = sorted(path for path in a.keys() | b.keys() if a.get(path) != b.get(path))
    if differing:
        print(f"determinism: FAILED, {len(differing)} of {len(a)} files differ, e.g. {differing[:5]}")
        return False
    print(f"determinism: ok, {len(a)} files byte-identical (n={n}, seed={seed}, workers 1 vs {workers})")
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="scenes to generate (default 2000)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check-determinism", action="store_true", help="also compare two runs file by file")
    parser.add_argument("--determinism-n", type=int, default=100, help="scenes for the determinism check")
    args = parser.parse_args()
    timed_run(args.n, args.workers, args.seed)
    if args.check_determinism and not check_determinism(args.determinism_n, args.workers, args.seed):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
