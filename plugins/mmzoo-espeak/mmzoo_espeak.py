"""mmzoo plugin: text to speech with the espeak-ng engine (system program, no download).

espeak-ng (GPL-3.0) runs as a separate program; nothing links to it. Options mirror its
command line: ``voice`` (-v, e.g. ``en-us`` or ``de+f3``), ``rate`` (-s, words per minute)
and ``pitch`` (-p, 0-99).
"""

from __future__ import annotations

import io
import shutil
import subprocess

import mmzoo
from mmzoo.errors import InvalidInput, MissingDependency
from mmzoo.media import check_int
from mmzoo.tasks.tts import Speech, TTSModel

PROGRAM = "espeak-ng"
INSTALL_HINT = "install espeak-ng: apt-get install espeak-ng (Debian/Ubuntu) or brew install espeak-ng (macOS)"


class EspeakTTS(TTSModel):
    """Formant synthesis: fast, robotic, 100+ languages."""

    default_voice = "en-us"

    def __init__(self) -> None:
        self._voices: list[tuple[str, str]] | None = None

    def synthesize(self, texts: list[str], *, voice: str | None = None, rate: int = 175,
                   pitch: int = 50) -> list[Speech]:
        import soundfile

        voice = self._check_voice(voice)
        rate = check_int("rate (words per minute)", rate, 80, 450)
        pitch = check_int("pitch", pitch, 0, 99)
        command = [self._program(), "--stdout", "--stdin", "-v", voice, "-s", str(rate), "-p", str(pitch)]
        speeches = []
        for text in texts:
            # The text goes through stdin, so a text starting with '-' is never read as an option.
            try:
                done = subprocess.run(command, input=text.encode("utf-8"), capture_output=True, timeout=120)
            except subprocess.TimeoutExpired:
                raise InvalidInput(f"espeak-ng took over 120 s on a {len(text)}-character text") from None
            if done.returncode != 0 or not done.stdout:
                raise InvalidInput(f"espeak-ng failed: {done.stderr.decode(errors='replace').strip()}")
            waveform, sample_rate = soundfile.read(io.BytesIO(done.stdout), dtype="float32")
            speeches.append(Speech(waveform, int(sample_rate), text=text, voice=voice))
        return speeches

    def voices(self) -> list[str]:
        """Language codes of the installed voices (``espeak-ng --voices``)."""
        return sorted({code for code, _ in self._voice_table()})

    def _voice_table(self) -> list[tuple[str, str]]:
        """(language code, voice file) per installed voice; ``-v`` takes either, or the file's last part."""
        if self._voices is None:  # asked once per loaded model
            listing = subprocess.run([self._program(), "--voices"], capture_output=True, text=True, check=True).stdout
            rows = [line.split() for line in listing.splitlines()[1:]]
            self._voices = [(row[1], row[4]) for row in rows if len(row) >= 5]
        return self._voices

    def _check_voice(self, voice: str | None) -> str:
        if not voice:
            return self.default_voice
        base = voice.split("+", 1)[0]  # "en-us+f3": a language plus a voice variant
        known = {name for code, file in self._voice_table() for name in (code, file, file.rsplit("/", 1)[-1])}
        if base not in known:
            raise InvalidInput(f"unknown espeak-ng voice {voice!r}; see `espeak-ng --voices` (e.g. en-us, de, fr)")
        return voice

    @staticmethod
    def _program() -> str:
        program = shutil.which(PROGRAM)
        if program is None:
            raise MissingDependency(f"espeak-ng program not found; {INSTALL_HINT}")
        return program


@mmzoo.hookimpl
def register_models(register):
    register(mmzoo.ModelSpec(
        id="tts/espeak-ng",
        summary="espeak-ng formant synthesiser: 100+ languages, adjustable rate and pitch",
        factory=EspeakTTS,
        weights=mmzoo.Weights(source="system", license="GPL-3.0-or-later (separate program)"),
        binaries=(PROGRAM,),
        install_hint=INSTALL_HINT,
        default=True,
        max_concurrency=2,
    ))
