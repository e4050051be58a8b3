"""Spoken captions: espeak-ng speech (through :mod:`mmzoo.espeak`) resampled to 16 kHz mono int16.

Every caption of a scene is spoken, each in a voice of its own: an accent (the voice *family*,
e.g. ``en-gb-x-rp``), one of espeak-ng's speaker variants (``+m3``, ``+f2``, ...), a rate and a
pitch. The train and val splits and the test split's ``spoken_captions_test.json`` use the
:data:`TRAINING_FAMILIES`; the val and test splits are also spoken in :data:`HELD_OUT_FAMILY`
(``spoken_captions_{split}_unheard.json``), an accent no model trained on the world has heard.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ... import espeak
from ...errors import InvalidInput, MissingDependency

SAMPLE_RATE = 16_000
TRAINING_FAMILIES = ("en-us", "en-gb", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029", "en-us-nyc")
HELD_OUT_FAMILY = "en-gb-scotland"
VARIANTS = ("", "+m1", "+m2", "+m3", "+m4", "+m5", "+m6", "+m7", "+f1", "+f2", "+f3", "+f4")
RATES, PITCHES = (130, 201), (25, 76)  # espeak-ng -s (words per minute) and -p, drawn uniformly in [low, high)
VOICES = tuple(family + variant for family in TRAINING_FAMILIES for variant in VARIANTS)
UNHEARD_VOICES = tuple(HELD_OUT_FAMILY + variant for variant in VARIANTS)


@dataclass(frozen=True)
class Speech:
    """How a scene's spoken caption is said."""

    text: str
    voice: str
    rate: int  # words per minute
    pitch: int  # 0-99

    @property
    def family(self) -> str:
        return self.voice.partition("+")[0]


def draw_speech(rng: np.random.Generator, text: str, unheard: bool = False) -> Speech:
    """A voice, rate and pitch for ``text``: a training voice, or one of the held-out family."""
    voices = UNHEARD_VOICES if unheard else VOICES
    return Speech(text, voices[int(rng.integers(len(voices)))], int(rng.integers(*RATES)), int(rng.integers(*PITCHES)))


def espeak_program() -> str:
    """The path of espeak-ng; :class:`MissingDependency` naming the fix when it is not installed."""
    return espeak.find_program("the Shapes world's spoken captions need espeak-ng: "
                               "run `sudo apt-get install espeak-ng`, or pass audio=False")


def synthesise(text: str, voice: str, rate: int, pitch: int, program: str = espeak.PROGRAM) -> np.ndarray:
    """``text`` spoken by espeak-ng, as int16 samples at :data:`SAMPLE_RATE`."""
    from scipy.signal import resample_poly

    try:
        samples, espeak_rate = espeak.speak(text, voice, rate, pitch, program)
    except InvalidInput as exc:  # the voices are espeak-ng's own: a failure means a broken install
        raise MissingDependency(f"{exc} (voice {voice!r}); reinstall espeak-ng "
                                "(`sudo apt-get install --reinstall espeak-ng espeak-ng-data`)") from exc
    gcd = math.gcd(SAMPLE_RATE, espeak_rate)
    resampled = resample_poly(samples.astype(np.float32), SAMPLE_RATE // gcd, espeak_rate // gcd)
    return np.clip(np.round(resampled), -32768, 32767).astype(np.int16)
