"""Generalisation of the Shapes defaults: each one on the plain test split, on the wild world's test split
(varied styles, backgrounds, resolutions, JPEG, phrasings) and on its held-out split (the same scenes
drawn in the held-out outline style, existence asked in the held-out phrasing).

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/generalisation.py [--tasks vqa caption retrieve] [--json OUT]
        [--weights TASK=RUN/best ...]

Worlds: VQA and captions on the 1000-scene seed-0 worlds (``shapes:test``, 100 test scenes);
retrieval on the 3000-scene ones (300 test images), as in their weights' READMEs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

DEFAULTS = {"vqa": "vqa/shapes-joint", "caption": "caption/shapes-sat", "retrieve": "retrieve/shapes-minilm-regions"}
WORLD = {"vqa": "", "caption": "", "retrieve": "n=3000"}
COLUMNS = {
    "vqa": ("accuracy", "accuracy/yes/no", "accuracy/number", "accuracy/other"),
    "caption": ("CIDEr-D", "BLEU-4", "binding"),
    "retrieve": ("t2i_R@10", "i2t_R@10", "t2i_R@1", "i2t_R@1"),
}


def spec(task: str, split: str, wild: bool) -> str:
    options = "&".join(filter(None, [WORLD[task], "variety=wild" if wild else ""]))
    return f"shapes:{split}" + (f"?{options}" if options else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", nargs="+", default=list(DEFAULTS), choices=list(DEFAULTS))
    parser.add_argument("--weights", nargs="*", default=[], help="TASK=FOLDER: score a training run instead")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    weights = dict(w.split("=", 1) for w in args.weights)

    from mmzoo.evaluate import evaluate

    results: dict[str, dict[str, dict[str, float]]] = {}
    for task in args.tasks:
        print(f"\n{DEFAULTS[task]}" + (f" (weights {weights[task]})" if task in weights else ""))
        print("| data | " + " | ".join(COLUMNS[task]) + " |")
        print("|---|" + "---|" * len(COLUMNS[task]))
        for split, wild in (("test", False), ("test", True), ("heldout", True)):
            data = spec(task, split, wild)
            report = evaluate(task, model=DEFAULTS[task], data=data, progress=False, weights=weights.get(task))
            results.setdefault(task, {})[data] = report.metrics
            print(f"| `{data}` | " + " | ".join(f"{report.metrics.get(k, float('nan')):.3f}" for k in COLUMNS[task]) + " |",
                  flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
