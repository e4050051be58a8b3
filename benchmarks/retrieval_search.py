"""Gallery search speed: exact (numpy) against approximate (FAISS), as `mmzoo.index` runs them.

For 10k, 100k and 1M synthetic 512-d unit float32 embeddings it prints the approximate index's
build time, the median latency of one query (ms, over --queries single queries) for exact and
approximate search, and the approximate recall@10 against exact. The approximate index is the one
``mmzoo index build --approximate`` makes: HNSW (M=32, efConstruction=64, efSearch=128) up to 200k
images, IVF-Flat (nlist=4*sqrt(N), nprobe=32, trained on 64 points per list) above.

The embeddings are clustered (a mixture of 2,000 Gaussian blobs on the sphere), as real image
embeddings are; --uniform draws them uniformly instead, the worst case for any approximate index.
1M x 512 float32 is 2 GB; with FAISS's copy the peak stays under 5 GB.

    python benchmarks/retrieval_search.py [--sizes 10000,100000,1000000] [--queries 100] [--uniform]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

import numpy as np

from mmzoo.index import GalleryIndex, auto_kind, faiss_settings, import_faiss

DIM = 512
K = 10


def unit(rows: np.ndarray) -> np.ndarray:
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def embeddings(n: int, rng: np.random.Generator, centres: np.ndarray | None, chunk: int = 100_000) -> np.ndarray:
    """``n`` unit rows, made in chunks so no float64 copy of the whole set is ever held."""
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, chunk):
        rows = rng.standard_normal((min(chunk, n - start), DIM), dtype=np.float32)
        if centres is not None:  # a blob around a random centre: spread ~0.7 of the centre's length
            rows = centres[rng.integers(0, len(centres), len(rows))] + rows * np.float32(0.7 / np.sqrt(DIM))
        out[start:start + len(rows)] = unit(rows)
    return out


def median_ms(search, queries: np.ndarray) -> tuple[float, list]:
    results, times = [], []
    for query in queries:
        start = time.perf_counter()
        results.append(search(query))
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--uniform", action="store_true", help="uniform random embeddings (no clusters)")
    args = parser.parse_args(argv)
    faiss = import_faiss()
    rng = np.random.default_rng(0)
    centres = None if args.uniform else unit(rng.standard_normal((2000, DIM), dtype=np.float32))
    print(f"{DIM}-d unit float32, {'uniform' if args.uniform else 'clustered'}, median of {args.queries} "
          f"single queries, k={K}, {faiss.omp_get_max_threads()} FAISS threads")
    print(f"{'N':>9}  {'approx':<26} {'build s':>8}  {'exact ms':>9}  {'approx ms':>9}  {'speed-up':>8}  "
          f"{'recall@10':>9}")
    for n in (int(s) for s in args.sizes.split(",")):
        vectors = embeddings(n, rng, centres)
        queries = embeddings(args.queries, rng, centres)
        gallery = GalleryIndex.from_embeddings(vectors)
        start = time.perf_counter()  # the first approximate search builds the FAISS index in memory
        gallery.search(queries[0], K, approximate=True)
        build_s = time.perf_counter() - start
        settings = faiss_settings(auto_kind(n), n)  # what the search above built
        exact_ms, exact = median_ms(lambda q: gallery.search(q, K, approximate=False), queries)
        approx_ms, approx = median_ms(lambda q: gallery.search(q, K, approximate=True), queries)
        recall = np.mean([len({r for r, _ in a} & {r for r, _ in e}) / K for a, e in zip(approx, exact)])
        described = ", ".join(f"{k}={v}" for k, v in settings.items() if k not in ("kind", "ef_construction"))
        print(f"{n:>9,}  {settings['kind'] + ' ' + described:<26} {build_s:>8.1f}  {exact_ms:>9.2f}  "
              f"{approx_ms:>9.3f}  {exact_ms / approx_ms:>7.0f}x  {recall:>9.3f}", flush=True)
        del vectors, gallery, exact, approx
        gc.collect()


if __name__ == "__main__":
    main()
