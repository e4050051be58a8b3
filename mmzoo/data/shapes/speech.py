"""Spoken captions: espeak-ng speech (through :mod:`mmzoo.espeak`) resampled to 16 kHz mono int16."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ... import espeak
from ...errors import InvalidInput, MissingDependency

SAMPLE_RATE = 16_000
VOICES = ("en-us", "en-gb", "en-us+f3", "en-gb+m3", "en-us+m7", "en-gb+f4")


@dataclass(frozen=True)
class Speech:
    """How a scene's spoken caption is said."""

    text: str
    voice: str
    rate: int  # words per minute
    pitch: int  # 0-99


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
