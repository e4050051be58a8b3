"""Speech recognition for measuring speech synthesis: Moonshine base (English) from ``moonshine-cpp``.

moonshine-cpp (MIT, weights MIT for English) ships the model inside its wheel (about 63 MB), so
``mmzoo eval tts`` transcribes offline. It takes 16 kHz mono float32 audio; this module resamples
(``scipy.signal.resample_poly``) and calls the library's C entry point directly, because the
Python wrapper's ``transcribe()`` of 0.1.4 names a ``ctypes.c_float_p`` that does not exist.

Word and character error rates compare normalised texts: lower case, no punctuation, and number
words written as digits on both sides (the recogniser writes "2 blue squares" for "two blue
squares"; jiwer does no number normalisation, hence the small table here).
"""

from __future__ import annotations

import math
import re
import threading
from typing import Sequence

import numpy as np

from ..errors import MissingDependency

RATE = 16_000
INSTALL = "pip install moonshine-cpp  (x86-64 Linux; or pip install 'mmzoo[eval]')"
_NUMBERS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}


def normalise(text: str) -> str:
    """Lower case, apostrophes kept inside words, other punctuation gone, number words as digits."""
    words = re.sub(r"[^\w\s']|(?<!\w)'|'(?!\w)", " ", text.lower()).split()
    return " ".join(_NUMBERS.get(w, w) for w in words)


class Transcriber:
    """``transcriber(waveform, sample_rate) -> text`` with Moonshine base English (thread-safe)."""

    name = "moonshine-base-en (moonshine-cpp)"

    def __init__(self) -> None:
        try:
            import moonshine_cpp
        except (ImportError, OSError) as exc:
            raise MissingDependency(f"speech recognition needs moonshine-cpp ({exc}): {INSTALL}") from None
        self._lib = moonshine_cpp.moonshine_lib
        self._model = moonshine_cpp.MoonshineModel(suppress_copyright_notice=True)
        self._lock = threading.Lock()

    def __call__(self, waveform: np.ndarray, sample_rate: int) -> str:
        import ctypes

        from scipy.signal import resample_poly

        audio = np.asarray(waveform, dtype=np.float64)
        if sample_rate != RATE:
            g = math.gcd(int(sample_rate), RATE)
            audio = resample_poly(audio, RATE // g, int(sample_rate) // g)
        audio = np.ascontiguousarray(np.clip(audio, -1, 1), dtype=np.float32)
        text = ctypes.c_char_p()
        with self._lock:
            error = self._lib.moonshine_transcribe(self._model.model_handle,
                                                   audio.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                                   audio.size, ctypes.byref(text))
            if error:
                raise RuntimeError(f"moonshine could not transcribe {audio.size / RATE:.1f} s of audio (error {error})")
            out = (text.value or b"").decode("utf-8")
            self._lib.moonshine_free_text(text)
        return out.strip()


def intelligibility(references: Sequence[str], transcripts: Sequence[str]) -> dict[str, float]:
    """WER and CER of the transcripts against the texts that were spoken, both normalised."""
    from .ocr import error_rates

    return error_rates([normalise(r) for r in references], [normalise(t) for t in transcripts])

