"""Character and word error rates for OCR (and ASR), via jiwer.

Whitespace is normalised first (runs of spaces and line breaks become one space), so a page
read with different line breaks is not penalised for layout, only for characters and words.
"""

from __future__ import annotations

from typing import Sequence

from ..errors import MissingDependency


def _normalise(text: str) -> str:
    return " ".join(text.split())


def error_rates(references: Sequence[str], hypotheses: Sequence[str]) -> dict[str, float]:
    """Corpus CER and WER (edit operations / reference length, over all pairs together)."""
    if len(references) != len(hypotheses):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    try:
        import jiwer
    except ImportError:
        raise MissingDependency("OCR metrics need jiwer: pip install 'mmzoo[eval]'") from None
    refs = [_normalise(r) for r in references]
    hyps = [_normalise(h) for h in hypotheses]
    if not any(refs):
        raise ValueError("all references are empty")
    # jiwer refuses empty references; a page with no text is scored on its non-empty pairs only.
    pairs = [(r, h) for r, h in zip(refs, hyps) if r]
    refs, hyps = [r for r, _ in pairs], [h for _, h in pairs]
    return {"CER": float(jiwer.cer(refs, hyps)), "WER": float(jiwer.wer(refs, hyps))}
