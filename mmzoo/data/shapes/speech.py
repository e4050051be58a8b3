"""Spoken captions: espeak-ng speech resampled to 16 kHz mono int16."""

from __future__ import annotations

import math
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np

from ...errors import MissingDependency

SAMPLE_RATE = 16_000
ESPEAK_RATE = 22_050
VOICES = ("en-us", "en-gb", "en-us+f3", "en-gb+m3", "en-us+m7", "en-gb+f4")


@dataclass(frozen=True)
class Speech:
    """How a scene's spoken caption is said."""

    text: str
    voice: str
    rate: int  # words per minute
    pitch: int  # 0-99


def espeak_program() -> str:
    program = shutil.which("espeak-ng")
    if program is None:
        raise MissingDependency("the Shapes world's spoken captions need espeak-ng: "
                                "run `sudo apt-get install espeak-ng`, or pass audio=False")
    return program


def synthesise(text: str, voice: str, rate: int, pitch: int, program: str = "espeak-ng") -> np.ndarray:
    """``text`` spoken by espeak-ng, as int16 samples at :data:`SAMPLE_RATE`."""
    from scipy.signal import resample_poly

    result = subprocess.run([program, "--stdout", "--stdin", "-v", voice, "-s", str(rate), "-p", str(pitch)],
                            input=text.encode(), capture_output=True)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip()
        raise MissingDependency(f"espeak-ng failed with voice {voice!r} ({message}); reinstall espeak-ng "
                                "(`sudo apt-get install --reinstall espeak-ng espeak-ng-data`)")
    samples = _wav_samples(result.stdout)
    gcd = math.gcd(SAMPLE_RATE, ESPEAK_RATE)
    resampled = resample_poly(samples.astype(np.float32), SAMPLE_RATE // gcd, ESPEAK_RATE // gcd)
    return np.clip(np.round(resampled), -32768, 32767).astype(np.int16)


def _wav_samples(data: bytes) -> np.ndarray:
    """16-bit mono samples of espeak's streamed WAV (its header sizes are placeholders, so we find 'data')."""
    if data[:4] != b"RIFF" or int.from_bytes(data[24:28], "little") != ESPEAK_RATE:
        raise MissingDependency(f"espeak-ng did not write a {ESPEAK_RATE} Hz WAV; reinstall espeak-ng")
    start = data.index(b"data", 12) + 8
    body = data[start:len(data) - (len(data) - start) % 2]
    return np.frombuffer(body, dtype="<i2")
