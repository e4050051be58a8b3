"""mmzoo plugin: OCR with the Tesseract engine (system program, no download).

Needs the ``tesseract`` program and its language packs (Debian: ``tesseract-ocr``,
``tesseract-ocr-deu``, ...). Options mirror the command line: ``lang``, ``psm``, ``oem``.

The engine is run directly rather than through pytesseract: one run writes both the plain text
(identical to ``tesseract IMG - -l LANG --psm N``) and the TSV word table, where pytesseract needs
two runs, and each run gets ``OMP_THREAD_LIMIT=1``, which is about 4x faster on small images.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import mmzoo
from mmzoo.errors import InvalidInput, MissingDependency
from mmzoo.media import check_int
from mmzoo.tasks.ocr import OCRModel, OCRResult, Word

PROGRAM = "tesseract"
INSTALL_HINT = "install Tesseract: apt-get install tesseract-ocr (Debian/Ubuntu) or brew install tesseract (macOS)"


class TesseractOCR(OCRModel):
    """Tesseract 4/5 LSTM engine: the page's text plus every word's box and confidence."""

    def __init__(self, *, timeout: float = 120.0) -> None:
        self.timeout = timeout
        self._languages: list[str] | None = None

    def recognize(self, images: list[Any], *, lang: str | None = None, psm: int = 3, oem: int = 3) -> list[OCRResult]:
        lang = self._check_lang(lang)
        psm = check_int("psm (page segmentation mode)", psm, 0, 13)
        oem = check_int("oem (engine mode)", oem, 0, 3)
        settings = ["-l", lang, "--psm", str(psm), "--oem", str(oem)]
        return [self._read(image, settings, lang) for image in images]

    def _read(self, image: Any, settings: list[str], lang: str) -> OCRResult:
        env = {**os.environ, "OMP_THREAD_LIMIT": os.environ.get("OMP_THREAD_LIMIT", "1")}
        with tempfile.TemporaryDirectory(prefix="mmzoo-tesseract-") as tmp:
            source, out = Path(tmp) / "page.png", Path(tmp) / "page"
            image.save(source)
            try:
                done = subprocess.run([_program(), str(source), str(out), *settings, "txt", "tsv"],
                                      capture_output=True, text=True, env=env, timeout=self.timeout)
            except subprocess.TimeoutExpired:
                raise InvalidInput(f"tesseract took longer than {self.timeout:.0f} s on a {image.width}x"
                                   f"{image.height} image; try a smaller image or another --psm") from None
            if done.returncode != 0:
                raise InvalidInput(f"tesseract failed: {done.stderr.strip()}")
            text = out.with_suffix(".txt").read_text(encoding="utf-8")
            with out.with_suffix(".tsv").open(encoding="utf-8", newline="") as table:
                words = _words(csv.DictReader(table, delimiter="\t", quoting=csv.QUOTE_NONE))
        return OCRResult(text=text, words=words, language=lang)

    def languages(self) -> list[str]:
        if self._languages is None:  # asked once per loaded model; a reload sees newly installed packs
            listing = subprocess.run([_program(), "--list-langs"], capture_output=True, text=True, check=True).stdout
            self._languages = sorted(line.strip() for line in listing.splitlines()[1:]
                                     if line.strip() and line.strip() != "osd")
        return self._languages

    def _check_lang(self, lang: str | None) -> str:
        installed = self.languages()
        if not lang:
            return "eng" if "eng" in installed else installed[0]
        missing = [part for part in lang.split("+") if part not in installed]
        if missing:
            raise InvalidInput(
                f"Tesseract language(s) {', '.join(missing)} not installed (installed: {', '.join(installed)}); "
                f"install e.g. apt-get install {' '.join('tesseract-ocr-' + m.lower() for m in missing)}"
            )
        return lang


def _program() -> str:
    program = shutil.which(PROGRAM)
    if program is None:
        raise MissingDependency(f"tesseract program not found; {INSTALL_HINT}")
    return program


def _words(rows: Any) -> list[Word]:
    """Word rows (level 5) of Tesseract's TSV, each with a running line index."""
    words, lines = [], {}
    for row in rows:
        confidence = float(row["conf"])
        if row["level"] != "5" or confidence < 0 or not (row["text"] or "").strip():
            continue
        line_key = (row["block_num"], row["par_num"], row["line_num"])
        box = (int(row["left"]), int(row["top"]), int(row["width"]), int(row["height"]))
        words.append(Word(row["text"], box, confidence, lines.setdefault(line_key, len(lines))))
    return words


@mmzoo.hookimpl
def register_models(register):
    register(mmzoo.ModelSpec(
        id="ocr/tesseract",
        summary="Tesseract LSTM OCR engine: many languages, word boxes and confidences",
        factory=TesseractOCR,
        weights=mmzoo.Weights(source="system", license="Apache-2.0"),
        binaries=("tesseract",),
        install_hint=INSTALL_HINT,
        default=True,
        max_concurrency=2,
    ))
