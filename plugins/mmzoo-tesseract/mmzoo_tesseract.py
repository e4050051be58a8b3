"""mmzoo plugin: OCR with Tesseract through pytesseract (system engine, no download).

Needs the ``tesseract`` program and its language packs (Debian: ``tesseract-ocr``,
``tesseract-ocr-deu``, ...). Options mirror the command line: ``lang``, ``psm``, ``oem``.
"""

from __future__ import annotations

import functools
from typing import Any

import mmzoo
from mmzoo.errors import InvalidInput, MissingDependency
from mmzoo.tasks.ocr import OCRModel, OCRResult, Word

INSTALL_HINT = "install Tesseract: apt-get install tesseract-ocr (Debian/Ubuntu) or brew install tesseract (macOS)"


class TesseractOCR(OCRModel):
    """Tesseract 4/5 LSTM engine: the page's text plus every word's box and confidence."""

    def recognize(self, images: list[Any], *, lang: str | None = None, psm: int = 3, oem: int = 3) -> list[OCRResult]:
        import pytesseract

        lang = self._check_lang(lang)
        if not 0 <= int(psm) <= 13:
            raise InvalidInput(f"psm (page segmentation mode) must be 0-13, got {psm}")
        if not 0 <= int(oem) <= 3:
            raise InvalidInput(f"oem (engine mode) must be 0-3, got {oem}")
        config = f"--psm {int(psm)} --oem {int(oem)}"
        results = []
        for image in images:
            try:
                # Two runs of the engine: the plain text must match `tesseract IMG - ...` exactly,
                # which rebuilding it from the TSV word table would not guarantee.
                text = pytesseract.image_to_string(image, lang=lang, config=config)
                table = pytesseract.image_to_data(image, lang=lang, config=config, output_type=pytesseract.Output.DICT)
            except pytesseract.TesseractNotFoundError:
                raise MissingDependency(f"tesseract program not found; {INSTALL_HINT}") from None
            except pytesseract.TesseractError as exc:
                raise InvalidInput(f"tesseract failed: {exc.message.strip() or exc}") from None
            results.append(OCRResult(text=text, words=_words(table), language=lang))
        return results

    @functools.cache
    def languages(self) -> list[str]:
        import pytesseract

        return sorted(lang for lang in pytesseract.get_languages(config="") if lang != "osd")

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


def _words(table: dict[str, list[Any]]) -> list[Word]:
    words, lines = [], {}
    for i, text in enumerate(table["text"]):
        confidence = float(table["conf"][i])
        if confidence < 0 or not str(text).strip():
            continue
        line_key = (table["block_num"][i], table["par_num"][i], table["line_num"][i])
        box = (int(table["left"][i]), int(table["top"][i]), int(table["width"][i]), int(table["height"][i]))
        words.append(Word(str(text), box, confidence, lines.setdefault(line_key, len(lines))))
    return words


@mmzoo.hookimpl
def register_models(register):
    register(mmzoo.ModelSpec(
        id="ocr/tesseract",
        summary="Tesseract LSTM OCR engine: many languages, word boxes and confidences",
        factory=TesseractOCR,
        weights=mmzoo.Weights(source="system", license="Apache-2.0"),
        requires=("pytesseract",),
        binaries=("tesseract",),
        install_hint=INSTALL_HINT,
        default=True,
        max_concurrency=2,
    ))
