"""Retrieval benchmark: wrapper overhead, embedding throughput and gallery search latency.

    .venv/bin/python benchmarks/retrieval.py [--model retrieve/shapes-minilm-cnn] [--batch 32] [--no-search]

1. Overhead: ``model.embed_images`` / ``embed_texts`` (what ``mmzoo.run`` calls) against calling the
   towers directly on the same batch (same preprocessing, no numpy conversion, no chunking);
   target <= 1.03x.
2. Throughput: images/s and texts/s through the wrapper.
3. Search: exact and approximate latency on 10k/100k/1M synthetic 512-d embeddings, and the
   approximate index's recall against exact (``benchmarks/retrieval_search.py``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable


def best_of(fn: Callable[[], Any], repeats: int) -> float:
    """Median seconds of ``repeats`` runs after one warm-up run."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved(first: Callable[[], Any], second: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Median seconds of each, run turn about so that load from elsewhere hits both alike."""
    first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for fn, bucket in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def sample_images(count: int) -> list[Any]:
    """Shapes scenes rendered in memory (no files, no download)."""
    import numpy as np

    from mmzoo.data import shapes

    return [shapes.render(shapes.random_scene(np.random.default_rng(i))) for i in range(count)]


def overhead(model_id: str, batch: int, repeats: int) -> None:
    import torch

    import mmzoo

    model = mmzoo.load(model_id)
    encoder = model.encoder  # a DualEncoderRetrieval: the towers are its DualEncoder
    images = sample_images(batch)
    texts = [f"a red circle left of a blue square number {i}" for i in range(batch)]
    model.batch_size = batch  # one chunk, as the direct call

    def fresh_cache() -> None:  # a frozen text tower caches features: time the tower, not the cache
        encoder._text_cache.clear()

    def direct_images() -> None:
        with torch.inference_mode():
            encoder.encode_images(encoder.pixels(images))

    def direct_texts() -> None:
        fresh_cache()
        with torch.inference_mode():
            encoder.encode_texts(texts)

    def wrapped_texts() -> None:
        fresh_cache()
        model.embed_texts(texts)

    for what, wrapped, direct, count in (("images", lambda: model.embed_images(images), direct_images, batch),
                                         ("texts", wrapped_texts, direct_texts, batch)):
        t_direct, t_wrapped = interleaved(direct, wrapped, repeats)
        print(f"{model_id} {what}: direct {t_direct * 1e3:.1f} ms, wrapper {t_wrapped * 1e3:.1f} ms per batch of "
              f"{count} -> overhead {t_wrapped / t_direct:.3f}x; throughput {count / t_wrapped:.0f} {what}/s")


def throughput(model_id: str, batch: int, repeats: int) -> None:
    """Embedding speed of any retrieval model through the API (e.g. the ConSE default)."""
    import mmzoo

    model = mmzoo.load(model_id)
    images = sample_images(batch)
    seconds = best_of(lambda: model.embed_images(images), max(3, repeats // 5))
    print(f"{model_id} images: {batch / seconds:.0f} images/s (batch of {batch})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="retrieve/shapes-minilm-cnn",
                        help="a dual-encoder model (the overhead is measured against its towers)")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--no-search", action="store_true", help="skip the search latency part")
    args = parser.parse_args(argv)
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    overhead(args.model, args.batch, args.repeats)
    throughput("retrieve/minilm-effnet-conse", args.batch, args.repeats)
    if not args.no_search:
        sys.path.insert(0, str(Path(__file__).parent))
        import retrieval_search

        retrieval_search.main([])


if __name__ == "__main__":
    main()
