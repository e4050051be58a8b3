"""A single-speaker speech corpus that mmzoo makes itself: sentences spoken by ``tts/hibari``.

Half the sentences are captions of random Shapes scenes (the domain a Shapes voice must know), half
are random sequences of the ~1,000 common English words of Faker's ``en_US`` lorem provider (MIT),
for the sounds of everyday English. Sentences of :data:`mmzoo.data.sentences.HELD_OUT` (what
``mmzoo eval tts`` scores) never enter it. The corpus is stored once per run folder
(``corpus.safetensors`` + ``corpus.json``) as log-mel spectrograms (:mod:`.features`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mmzoo.data.sentences import HELD_OUT
from mmzoo.errors import MissingDependency
from mmzoo.eval.asr import normalise

from .features import MEL_SETTINGS, log_mel

MAX_CHARS = 110  # training sentences stay short: a few seconds each
TEACHER = "tts/hibari"
TENSORS, TEXTS = "corpus.safetensors", "corpus.json"


def shapes_sentence(rng: np.random.Generator) -> str:
    from mmzoo.data.shapes import captions, random_scene

    caption = captions(random_scene(rng), rng, n=1)[0]
    return caption[0].upper() + caption[1:] + "."


def common_words() -> list[str]:
    """Faker's common English words, without abbreviations (``PM``, ``TV``), which are spelt out."""
    try:
        from faker.providers.lorem.en_US import Provider
    except ImportError:
        raise MissingDependency("mmzoo train tts needs Faker's word list: pip install 'mmzoo-tacotron2[train]'"
                                ) from None

    return [w for w in Provider.word_list if w.isalpha() and w.islower()]


def word_sentence(rng: np.random.Generator, words: list[str]) -> str:
    words = [words[i] for i in rng.integers(len(words), size=int(rng.integers(4, 13)))]
    text = " ".join(words)
    return text[0].upper() + text[1:] + ("?" if rng.random() < 0.15 else ".")


def corpus_sentences(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct sentences (alternately Shapes captions and word sequences), none held out."""
    rng = np.random.default_rng(seed)
    held_out = {normalise(s) for s in HELD_OUT}
    out: list[str] = []
    seen: set[str] = set()
    words = common_words()
    while len(out) < n:
        text = shapes_sentence(rng) if len(out) % 2 == 0 else word_sentence(rng, words)
        key = normalise(text)
        if len(text) <= MAX_CHARS and key not in held_out and key not in seen:
            seen.add(key)
            out.append(text)
    return out


@dataclass
class Corpus:
    """Sentences and their log-mel spectrograms (each 80 x frames)."""

    texts: list[str]
    mels: list[torch.Tensor]
    voice: str

    @property
    def seconds(self) -> float:
        return sum(m.shape[1] for m in self.mels) * MEL_SETTINGS["hop_length"] / MEL_SETTINGS["sample_rate"]

    def save(self, folder: Path) -> None:
        from safetensors.torch import save_file

        folder.mkdir(parents=True, exist_ok=True)
        lengths = torch.tensor([m.shape[1] for m in self.mels])
        save_file({"mels": torch.cat(self.mels, dim=1).half().contiguous(), "lengths": lengths}, folder / TENSORS)
        (folder / TEXTS).write_text(json.dumps({"voice": self.voice, "teacher": TEACHER, "texts": self.texts},
                                               indent=0) + "\n")

    @classmethod
    def load(cls, folder: Path) -> Corpus | None:
        from safetensors.torch import load_file

        if not (folder / TENSORS).is_file() or not (folder / TEXTS).is_file():
            return None
        tensors, meta = load_file(folder / TENSORS), json.loads((folder / TEXTS).read_text())
        mels = list(torch.split(tensors["mels"].float(), tensors["lengths"].tolist(), dim=1))
        return cls(meta["texts"], mels, meta["voice"])


def trimmed(waveform: np.ndarray, sample_rate: int, top_db: float = 40.0, margin_s: float = 0.05) -> np.ndarray:
    """The waveform without leading and trailing silence (keeping ``margin_s`` of it)."""
    import librosa

    _, (start, end) = librosa.effects.trim(waveform, top_db=top_db)
    margin = int(margin_s * sample_rate)
    return waveform[max(0, start - margin):end + margin]


def synthesise(texts: list[str], voice: str = "heart", progress: bool = True, chunk: int = 32) -> Corpus:
    """Speak ``texts`` with the teacher voice and keep their log-mel spectrograms."""
    from tqdm import tqdm

    import mmzoo

    mels: list[torch.Tensor] = []
    for start in tqdm(range(0, len(texts), chunk), desc="corpus", unit="chunk", disable=not progress, leave=False):
        for speech in mmzoo.run("tts", texts[start:start + chunk], model=TEACHER, voice=voice):
            audio = trimmed(speech.waveform, speech.sample_rate)
            mels.append(log_mel(torch.from_numpy(audio), speech.sample_rate))
    return Corpus(list(texts), mels, voice)
