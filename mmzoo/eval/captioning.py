"""Caption metrics of the COCO caption evaluation: BLEU-1..4, METEOR, ROUGE-L, CIDEr-D, SPICE.

The scorers and the PTB tokenisation are pycocoevalcap's (METEOR, the tokeniser and SPICE run
Java). Its ``Cider`` scorer is the CIDEr-D variant (clipped counts, Gaussian length penalty,
sigma 6), reported here under that name. SPICE needs Stanford CoreNLP jars that pycocoevalcap
downloads on first use; without them (or without Java) it is reported as unavailable, with why.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..errors import MissingDependency

ALL_METRICS = ("BLEU", "METEOR", "ROUGE_L", "CIDEr-D", "SPICE")
INSTALL_HINT = "pip install 'mmzoo[eval]' (pycocoevalcap) and a Java runtime (apt-get install default-jre-headless)"


@dataclass
class CaptionScores:
    corpus: dict[str, float]  # e.g. {"BLEU-4": 0.31, "CIDEr-D": 1.02, ...}
    per_image: dict[str, list[float]] = field(default_factory=dict)  # metric -> score per image, in input order
    unavailable: dict[str, str] = field(default_factory=dict)  # metric -> why it was not computed


def _require_pycocoevalcap() -> None:
    if importlib.util.find_spec("pycocoevalcap") is None:
        raise MissingDependency(f"caption metrics need pycocoevalcap; {INSTALL_HINT}")
    if shutil.which("java") is None:
        raise MissingDependency(f"caption metrics need Java (METEOR, PTB tokeniser); {INSTALL_HINT}")


def tokenize(captions: dict[Any, list[str]]) -> dict[Any, list[str]]:
    """PTB-tokenise, lower-case and drop punctuation exactly like the COCO caption evaluation."""
    _require_pycocoevalcap()
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    with _quiet():  # the tokeniser reports its speed on stderr for every call
        return PTBTokenizer().tokenize({k: [{"caption": c} for c in v] for k, v in captions.items()})


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence stdout and stderr at the file-descriptor level (the Java child processes inherit them)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def spice_unavailable_reason() -> str | None:
    """Why SPICE cannot run here, or None when it can."""
    spec = importlib.util.find_spec("pycocoevalcap")
    if spec is None or not spec.submodule_search_locations:
        return "pycocoevalcap is not installed"
    lib = Path(list(spec.submodule_search_locations)[0]) / "spice" / "lib"
    if not (lib / "stanford-corenlp-3.6.0.jar").is_file():
        return (f"SPICE needs the Stanford CoreNLP 3.6.0 jars in {lib}, which pycocoevalcap downloads "
                "on first use (no network here)")
    return None


def caption_scores(references: Sequence[Sequence[str]], candidates: Sequence[str],
                   metrics: Sequence[str] = ALL_METRICS) -> CaptionScores:
    """Score ``candidates[i]`` against ``references[i]`` (one or more captions) for every i."""
    if len(references) != len(candidates):
        raise ValueError(f"{len(candidates)} candidates but {len(references)} reference lists")
    if not candidates:
        raise ValueError("no captions to score")
    if any(len(r) == 0 for r in references):
        raise ValueError("every image needs at least one reference caption")
    unknown = set(metrics) - set(ALL_METRICS)
    if unknown:
        raise ValueError(f"unknown caption metrics {sorted(unknown)}; known: {', '.join(ALL_METRICS)}")
    keys = list(range(len(candidates)))
    gts = tokenize({k: list(references[k]) for k in keys})
    res = tokenize({k: [candidates[k]] for k in keys})
    scores = CaptionScores(corpus={})
    for name in metrics:
        if name == "SPICE" and (why := spice_unavailable_reason()):
            scores.unavailable[name] = why
            continue
        with _quiet():  # pycocoevalcap's BLEU prints its n-gram counts
            corpus, per_image = _scorer(name).compute_score(gts, res)
        if name == "BLEU":
            for n, (value, values) in enumerate(zip(corpus, per_image), start=1):
                scores.corpus[f"BLEU-{n}"] = float(value)
                scores.per_image[f"BLEU-{n}"] = [float(v) for v in values]
        else:
            scores.corpus[name] = float(corpus)
            scores.per_image[name] = [_per_image_value(v) for v in per_image]
    return scores


def _per_image_value(value: Any) -> float:
    return float(value["All"]["f"]) if isinstance(value, dict) else float(value)  # SPICE gives dicts


def _scorer(name: str) -> Any:
    if name == "BLEU":
        from pycocoevalcap.bleu.bleu import Bleu

        return Bleu(4)
    if name == "METEOR":
        from pycocoevalcap.meteor.meteor import Meteor

        return Meteor()
    if name == "ROUGE_L":
        from pycocoevalcap.rouge.rouge import Rouge

        return Rouge()
    if name == "CIDEr-D":
        from pycocoevalcap.cider.cider import Cider

        return Cider()
    from pycocoevalcap.spice.spice import Spice

    return Spice()
