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
    # jiwer refuses empty references, so text read on a blank page is added by hand: all insertions.
    pairs = [(r, h) for r, h in zip(refs, hyps) if r]
    blank_pages = [h for r, h in zip(refs, hyps) if not r]
    words = jiwer.process_words([r for r, _ in pairs], [h for _, h in pairs])
    chars = jiwer.process_characters([r for r, _ in pairs], [h for _, h in pairs])
    word_errors = words.substitutions + words.deletions + words.insertions + sum(len(h.split()) for h in blank_pages)
    char_errors = chars.substitutions + chars.deletions + chars.insertions + sum(len(h) for h in blank_pages)
    word_total = sum(len(r.split()) for r, _ in pairs)
    char_total = sum(len(r) for r, _ in pairs)
    return {"CER": char_errors / char_total, "WER": word_errors / word_total}
