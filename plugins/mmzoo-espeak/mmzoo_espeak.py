"""mmzoo plugin: text to speech with the espeak-ng engine (system program, no download).

espeak-ng (GPL-3.0) runs as a separate program; nothing links to it. Options mirror its
command line: ``voice`` (-v, e.g. ``en-us`` or ``de+f3``), ``rate`` (-s, words per minute)
and ``pitch`` (-p, 0-99).
"""

from __future__ import annotations

import mmzoo
from mmzoo import espeak
from mmzoo.errors import InvalidInput
from mmzoo.espeak import INSTALL_HINT, PROGRAM
from mmzoo.media import check_int
from mmzoo.tasks.tts import Speech, TTSModel


class EspeakTTS(TTSModel):
    """Formant synthesis: fast, robotic, 100+ languages."""

    default_voice = "en-us"

    def __init__(self) -> None:
        self._voices: list[tuple[str, str]] | None = None

    def synthesize(self, texts: list[str], *, voice: str | None = None, rate: int = 175,
                   pitch: int = 50) -> list[Speech]:
        import numpy as np

        voice = self._check_voice(voice)
        rate = check_int("rate (words per minute)", rate, 80, 450)
        pitch = check_int("pitch", pitch, 0, 99)
        program = espeak.find_program()
        speeches = []
        for text in texts:
            samples, sample_rate = espeak.speak(text, voice, rate, pitch, program)
            waveform = samples.astype(np.float32) / 32768  # what soundfile reads as float32
            speeches.append(Speech(waveform, sample_rate, text=text, voice=voice))
        return speeches

    def voices(self) -> list[str]:
        """Language codes of the installed voices (``espeak-ng --voices``)."""
        return sorted({code for code, _ in self._voice_table()})

    def _voice_table(self) -> list[tuple[str, str]]:
        """(language code, voice file) per installed voice; ``-v`` takes either, or the file's last part."""
        if self._voices is None:  # asked once per loaded model
            self._voices = espeak.voices()
        return self._voices

    def _check_voice(self, voice: str | None) -> str:
        if not voice:
            return self.default_voice
        base = voice.split("+", 1)[0]  # "en-us+f3": a language plus a voice variant
        known = {name for code, file in self._voice_table() for name in (code, file, file.rsplit("/", 1)[-1])}
        if base not in known:
            raise InvalidInput(f"unknown espeak-ng voice {voice!r}; see `espeak-ng --voices` (e.g. en-us, de, fr)")
        return voice


@mmzoo.hookimpl
def register_models(register):
    register(mmzoo.ModelSpec(
        id="tts/espeak-ng",
        summary="espeak-ng formant synthesiser: 100+ languages, adjustable rate and pitch",
        factory=EspeakTTS,
        weights=mmzoo.Weights(source="system", license="GPL-3.0-or-later (separate program)"),
        binaries=(PROGRAM,),
        install_hint=INSTALL_HINT,
        max_concurrency=2,  # the tts default where mmzoo-hibari is not installed
    ))
