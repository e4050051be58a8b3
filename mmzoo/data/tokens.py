"""Caption tokenisation: the words of the Karpathy split files' ``tokens`` field.

Word-level caption models (their vocabularies) and the Shapes world's ``dataset_shapes.json``
both use :func:`tokenize`, so a vocabulary built from one matches the other.
"""

from __future__ import annotations

import re


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without punctuation (the Karpathy ``tokens`` field)."""
    return re.findall(r"[a-z0-9]+", text.lower())
