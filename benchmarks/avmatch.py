"""Audio-visual matching benchmark: R@1/5/10 both ways and localisation, in training voices and in the
held-out accent, beside the Shapes text retrieval model on the same test images.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/avmatch.py [--n 3000] [--weights RUN/best] [--run RUN]

Test split of the world ``shapes?n=N`` (N=3000: 300 images, all five spoken captions of each):

1. ``avmatch/shapes-davenet`` (or ``--weights``) on the captions in the training accents, then on the
   same captions in the held-out accent (``voices=unheard``), with the localisation hit rates;
2. ``retrieve/shapes-minilm-cnn`` on the written captions of the same images;
3. with ``--run``, the training time and epochs from that run folder's ``history.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

KEYS = ("R@1", "R@5", "R@10")


def row(name: str, metrics: dict[str, float], a2i: str, i2a: str) -> str:
    cells = [f"{metrics[f'{a2i}_{k}']:.3f}" for k in KEYS] + [f"{metrics[f'{i2a}_{k}']:.3f}" for k in KEYS]
    return f"| {name} | " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--model", default="avmatch/shapes-davenet")
    parser.add_argument("--weights", help="a `mmzoo train avmatch` checkpoint instead of the shipped one")
    parser.add_argument("--run", type=Path, help="a run folder, for its training time")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()

    from mmzoo.evaluate import evaluate

    results, seconds = {}, {}
    for voices in ("heard", "unheard"):
        start = time.perf_counter()
        report = evaluate("avmatch", model=args.model, weights=args.weights, progress=False,
                          data=f"shapes:test?n={args.n}&voices={voices}")
        results[voices], seconds[voices] = report.metrics, time.perf_counter() - start
        print(f"{voices}: {report.samples} spoken captions in {seconds[voices]:.0f} s; " + "; ".join(report.notes))
    text = evaluate("retrieve", model="retrieve/shapes-minilm-cnn", data=f"shapes:test?n={args.n}", progress=False)
    results["text"] = text.metrics

    print(f"\n| test split of shapes?n={args.n} | caption->image R@1 | R@5 | R@10 | image->caption R@1 | R@5 | R@10 |")
    print("|---|---|---|---|---|---|---|")
    print(row(f"`{args.model}`, training accents", results["heard"], "audio->image", "image->audio"))
    print(row(f"`{args.model}`, held-out accent", results["unheard"], "audio->image", "image->audio"))
    print(row("`retrieve/shapes-minilm-cnn`, written captions", results["text"], "t2i", "i2t"))
    for voices in ("heard", "unheard"):
        m = results[voices]
        if "loc_hit_single" in m:
            print(f"localisation ({voices}): single-object scenes {m['loc_hit_single']:.3f} "
                  f"(chance {m['loc_chance_single']:.3f}), the named object of multi-object scenes {m['loc_hit_multi']:.3f}")
    if args.run is not None:
        history = json.loads((args.run / "history.json").read_text())["epochs"]
        total = sum(r["seconds"] for r in history)
        print(f"training: {len(history)} epochs in {total / 60:.1f} min ({total / len(history):.0f} s an epoch)")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
