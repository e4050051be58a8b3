"""The one espeak-ng driver: find the program, list its voices, speak a text.

Used by the ``tts/espeak-ng`` plugin and by the Shapes world's spoken captions. espeak-ng
(GPL-3.0) runs as a separate program; nothing links to it. The text goes through stdin, so a
text starting with ``-`` is never read as an option.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import TYPE_CHECKING

from .errors import InvalidInput, MissingDependency

if TYPE_CHECKING:
    import numpy as np

PROGRAM = "espeak-ng"
INSTALL_HINT = "install espeak-ng: apt-get install espeak-ng (Debian/Ubuntu) or brew install espeak-ng (macOS)"
NOT_FOUND = f"espeak-ng program not found; {INSTALL_HINT}"
TIMEOUT_S = 120


def find_program(missing: str = NOT_FOUND) -> str:
    """The path of the espeak-ng program; :class:`MissingDependency` saying ``missing`` without it."""
    program = shutil.which(PROGRAM)
    if program is None:
        raise MissingDependency(missing)
    return program


def speak(text: str, voice: str = "en-us", rate: int = 175, pitch: int = 50, program: str | None = None,
          timeout: float = TIMEOUT_S) -> tuple[np.ndarray, int]:
    """``text`` spoken by espeak-ng: its int16 mono samples and their sample rate.

    ``voice`` is ``-v`` (e.g. ``en-us`` or ``de+f3``), ``rate`` is ``-s`` (words per minute) and
    ``pitch`` is ``-p`` (0-99). A failing or silent run raises :class:`InvalidInput`.
    """
    command = [program or find_program(), "--stdout", "--stdin", "-v", voice, "-s", str(rate), "-p", str(pitch)]
    try:
        done = subprocess.run(command, input=text.encode("utf-8"), capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise InvalidInput(f"espeak-ng took over {timeout:g} s on a {len(text)}-character text") from None
    if done.returncode != 0 or not done.stdout:
        raise InvalidInput(f"espeak-ng failed: {done.stderr.decode(errors='replace').strip()}")
    return wav_samples(done.stdout)


def wav_samples(data: bytes) -> tuple[np.ndarray, int]:
    """The int16 samples and sample rate of espeak-ng's streamed 16-bit mono WAV.

    espeak-ng cannot seek back into stdout, so the header's sizes are placeholders: the samples
    are everything after the ``data`` tag.
    """
    import numpy as np  # here, not at the top: listing models stays numpy-free

    mono16 = data[22:24] == b"\x01\x00" and data[34:36] == b"\x10\x00"
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE" or not mono16 or b"data" not in data[12:]:
        raise MissingDependency("espeak-ng did not write a 16-bit mono WAV; reinstall espeak-ng")
    start = data.index(b"data", 12) + 8
    body = data[start:len(data) - (len(data) - start) % 2]
    return np.frombuffer(body, dtype="<i2"), int.from_bytes(data[24:28], "little")


def voices(program: str | None = None) -> list[tuple[str, str]]:
    """(language code, voice file) of every installed voice (``espeak-ng --voices``)."""
    done = subprocess.run([program or find_program(), "--voices"], capture_output=True, text=True)
    if done.returncode != 0:
        raise MissingDependency(f"espeak-ng --voices failed ({done.stderr.strip()}); reinstall espeak-ng")
    rows = [line.split() for line in done.stdout.splitlines()[1:]]
    return [(row[1], row[4]) for row in rows if len(row) >= 5]


def version(program: str | None = None) -> str:
    """espeak-ng's version, e.g. ``1.51``."""
    done = subprocess.run([program or find_program(), "--version"], capture_output=True, text=True)
    match = re.search(r"text-to-speech: (\S+)", done.stdout)
    return match.group(1) if match else done.stdout.strip()
