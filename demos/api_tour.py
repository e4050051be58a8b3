"""A tour of the mmzoo Python API on the embedded defaults (no download needed).

    python demos/api_tour.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import mmzoo

EXAMPLE = Path(mmzoo.__file__).parent / "assets" / "ocr-example.png"

print("tasks: ", [t.id for t in mmzoo.tasks()])
print("models:", [m.id for m in mmzoo.models()])

page = mmzoo.run("ocr", EXAMPLE, lang="eng", psm=3)
print("\nOCR text:\n" + page.text)
for word in page.words[:5]:
    print(f"  {word.text:<12} box={word.box} confidence={word.confidence:.0f}")

speech = mmzoo.run("tts", page.text.splitlines()[0])  # the neural default (hibari); espeak-ng for other languages

out = Path(tempfile.gettempdir()) / "mmzoo-tour.wav"
speech.save(out)
print(f"\nspoke {speech.duration:.2f} s at {speech.sample_rate} Hz -> {out}")

try:
    mmzoo.run("tts", "   ")
except mmzoo.InvalidInput as error:
    print(f"\nbad input is a typed error: {error}")
