"""mmzoo plugin: offline neural English speech with hibari-tts (``tts/hibari``).

hibari (Apache-2.0) is a 7.9 MB ONNX acoustic model distilled from Kokoro-82M plus its own
spelling-to-sound rules; 24 kHz audio, far faster than real time on one CPU core. The voice
``heart`` (American English, female) ships inside the hibari-tts wheel, so the default works with no
download; ``emma``, ``fable`` (British), ``fenrir``, ``kore`` (American) are fetched once into
``HIBARI_HOME`` (or ``~/.cache/hibari``), checked against their sha256; ``mmzoo download tts/hibari``
fetches them all ahead of time.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import mmzoo
from mmzoo.errors import InvalidInput, WeightsUnavailable
from mmzoo.media import check_float, check_int
from mmzoo.tasks.tts import Speech, TTSModel

MODEL_ID = "tts/hibari"
VOICE_MB = 7.9
LICENSE = "Apache-2.0 (hibari-tts; distilled from Kokoro-82M, Apache-2.0)"


def _voices() -> dict[str, dict[str, Any]]:
    from hibari.voices import VOICES

    return VOICES


class HibariTTS(TTSModel):
    """hibari voices; ``speed`` 0.5-2.0 (1 = the voice's pace), ``seed`` fixes its noise (same seed,
    same samples)."""

    default_voice = "heart"

    def __init__(self, *, weights: str | os.PathLike | None = None, threads: int = 1) -> None:
        self.weights = Path(weights) if weights is not None else None
        if self.weights is not None and not self.weights.is_file():
            raise WeightsUnavailable(f"{MODEL_ID}: weights={self.weights} is not a hibari .onnx voice file")
        self.threads = check_int("threads", threads, 1, 64)
        self._engines: dict[str, Any] = {}
        self._lock = threading.Lock()  # an engine's session and G2P are shared; one synthesis at a time

    def voices(self) -> list[str]:
        return list(_voices())

    def synthesize(self, texts: list[str], *, voice: str | None = None, speed: float = 1.0,
                   seed: int = 0) -> list[Speech]:
        name = voice or self.default_voice
        speed = check_float("speed", speed, 0.5, 2.0)
        seed = check_int("seed", seed, 0, 2**32 - 1)
        engine = self._engine(name)
        with self._lock:
            return [Speech(engine(text, speed=speed, seed=seed), engine.sample_rate, text=text, voice=name)
                    for text in texts]

    def _engine(self, name: str) -> Any:
        if name not in _voices():
            raise InvalidInput(f"unknown hibari voice {name!r}; voices: {', '.join(_voices())}")
        if name not in self._engines:
            from hibari import Hibari

            model = str(self.weights) if self.weights is not None else voice_file(name)
            self._engines[name] = Hibari(voice=name, model=model, threads=self.threads)
        return self._engines[name]

    @classmethod
    def download(cls, spec: Any) -> str:
        """Fetch every voice not in the package (``mmzoo download tts/hibari``)."""
        from hibari.voices import cache_dir, voice_path

        fetched = [name for name, v in _voices().items() if not v.get("bundled")]
        for name in fetched:
            try:
                voice_path(name, download_missing=True)
            except RuntimeError as exc:
                raise WeightsUnavailable(str(exc)) from None
        return f"{spec.id}: voices {', '.join(fetched)} cached in {cache_dir()} ({len(fetched) * VOICE_MB:.0f} MB)"


def voice_file(name: str) -> str:
    """The voice's ONNX file: in the package, in the cache, or downloaded now; offline, WeightsUnavailable."""
    from hibari.voices import BASE_URL, cache_dir, voice_path

    from mmzoo.weights import unreachable, weights_unavailable

    try:
        return voice_path(name, download_missing=False)
    except FileNotFoundError:
        pass
    reason = unreachable(BASE_URL + _voices()[name]["file"])
    if reason:
        extra = sum(not v.get("bundled") for v in _voices().values())  # what `mmzoo download` fetches
        raise weights_unavailable(MODEL_ID, f"hibari voice {name!r}", reason, size_mb=VOICE_MB * extra,
                                  local="a hibari .onnx voice file", cache=Path(cache_dir()))
    try:
        return voice_path(name, download_missing=True)
    except RuntimeError as exc:  # hibari's own message: the URL, and where to copy the file by hand
        raise WeightsUnavailable(f"{MODEL_ID}: {exc}") from None


@mmzoo.hookimpl
def register_models(register):
    register(mmzoo.ModelSpec(
        id=MODEL_ID,
        summary="hibari: neural English speech, 24 kHz, offline (voice heart in the package; 4 more on first use)",
        factory=HibariTTS,
        weights=mmzoo.Weights(source="package", license=LICENSE),
        requires=("hibari",),
        install_hint="pip install mmzoo-hibari",
        default=True,
        max_concurrency=1,
    ))
