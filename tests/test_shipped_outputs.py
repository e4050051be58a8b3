"""The shipped trained checkpoints give the same outputs as when they were recorded (to 1e-6, plus
1e-5 relative: float32 sums such as a caption's log-probability differ that much between one and
two CPU threads).

The reference was written before the training layer was refactored, with
``python tests/test_shipped_outputs.py --write tests/data/shipped-outputs.npz``; a change of
loading or training code must leave these outputs as they are. Re-record only when a model is
retrained on purpose (and say so in the commit).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pytest

import mmzoo
from mmzoo.data import shapes

REFERENCE = Path(__file__).parent / "data" / "shipped-outputs.npz"
TEXTS = ["a red circle", "two blue squares above a green star", "a small yellow triangle on the left"]
QUESTIONS = ["what color is the circle?", "how many shapes are there?", "is there a star?"]


def images():
    return [shapes.render(shapes.example(11, i).scene) for i in range(4)]


def outputs() -> dict[str, np.ndarray]:
    pictures = images()
    out: dict[str, np.ndarray] = {}
    for model_id in ("retrieve/shapes-minilm-cnn", "retrieve/minilm-effnet-conse"):
        model = mmzoo.load(model_id)
        out[f"{model_id}/images"] = np.asarray(model.embed_images(pictures))
        out[f"{model_id}/texts"] = np.asarray(model.embed_texts(TEXTS))
    regions = mmzoo.load("retrieve/shapes-minilm-regions")  # words x regions: its own similarity
    out["retrieve/shapes-minilm-regions/images"] = regions.embed_images(pictures)
    out["retrieve/shapes-minilm-regions/similarity"] = regions.similarity(regions.embed_texts(TEXTS),
                                                                          out["retrieve/shapes-minilm-regions/images"])
    captions = mmzoo.run("caption", pictures, model="caption/shapes-sat", beam_size=3, num_captions=2)
    out["caption/shapes-sat/scores"] = np.array([c.scores for c in captions], dtype=np.float64)
    out["caption/shapes-sat/attention"] = np.stack([np.asarray(c.attention[0]) for c in captions])
    out["caption/shapes-sat/captions"] = np.array([" | ".join(c.captions) for c in captions])
    answers = mmzoo.run("vqa", pictures[:3], QUESTIONS, model="vqa/shapes-joint", top_k=5)
    out["vqa/shapes-joint/scores"] = np.array([[a.score for a in r.answers] for r in answers])
    out["vqa/shapes-joint/answers"] = np.array([" | ".join(a.text for a in r.answers) for r in answers])
    return out


def compare(reference: dict[str, np.ndarray], now: dict[str, np.ndarray], atol: float = 1e-6,
            rtol: float = 1e-5) -> list[str]:
    """Names of the outputs that differ (strings exactly, numbers beyond ``atol``)."""
    bad = sorted(set(reference) ^ set(now))
    for name in sorted(set(reference) & set(now)):
        a, b = reference[name], now[name]
        same = (a.shape == b.shape and (np.array_equal(a, b) if a.dtype.kind in "US"
                                        else np.allclose(a, b, atol=atol, rtol=rtol)))
        if not same:
            bad.append(name)
    return bad


def test_shipped_checkpoints_give_the_recorded_outputs():
    pytest.importorskip("mmzoo_bert_resnet")
    pytest.importorskip("mmzoo_classic_vl")
    with np.load(REFERENCE) as stored:
        assert compare(dict(stored), outputs()) == []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write")
    group.add_argument("--check")
    args = parser.parse_args(argv)
    if args.write:
        np.savez(args.write, **outputs())
        print(f"wrote {args.write}")
        return 0
    with np.load(args.check) as stored:
        bad = compare(dict(stored), outputs())
    print("differ: " + ", ".join(bad) if bad else "all shipped outputs equal to 1e-6")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
