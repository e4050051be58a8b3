"""Word vocabularies built from training text, saved as JSON beside the checkpoint."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Iterable

from mmzoo.data.tokens import tokenize
from mmzoo.errors import WeightsUnavailable

PAD, START, END, UNK = "<pad>", "<start>", "<end>", "<unk>"
SPECIALS = (PAD, START, END, UNK)


class Vocabulary:
    """Index <-> word, with ``<pad>`` = 0, ``<start>``, ``<end>`` and ``<unk>`` first."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = list(words)
        self.index = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def build(cls, texts: Iterable[str], min_count: int = 1, max_size: int | None = None) -> Vocabulary:
        counts = Counter(w for t in texts for w in tokenize(t))
        kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        return cls([*SPECIALS, *kept[:max_size]])

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, text: str) -> list[int]:
        unk = self.index[UNK]
        return [self.index.get(w, unk) for w in tokenize(text)]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Words up to (not including) ``<end>``, specials dropped."""
        words = []
        for i in ids:
            word = self.words[i]
            if word == END:
                break
            if word not in SPECIALS:
                words.append(word)
        return words

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.words, indent=0) + "\n")

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        if not path.is_file():
            raise WeightsUnavailable(f"vocabulary file {path} is missing")
        return cls(json.loads(path.read_text()))


class AnswerSet:
    """The top-N most frequent training answers: the classifier's classes."""

    def __init__(self, answers: Iterable[str]) -> None:
        self.answers = list(answers)
        self.index = {a: i for i, a in enumerate(self.answers)}

    @classmethod
    def build(cls, answers: Iterable[str], top: int = 1000) -> AnswerSet:
        counts = Counter(answers)
        return cls(sorted(counts, key=lambda a: (-counts[a], a))[:top])

    def __len__(self) -> int:
        return len(self.answers)
