"""ocr/tesseract: same text as the tesseract command line, words with boxes, language checks."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

import mmzoo

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    """A rendered page whose words we know."""
    image = Image.new("RGB", (900, 260), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 34)
    draw.text((30, 30), "Seven tasks share one registry.", fill="black", font=font)
    draw.text((30, 100), "Invoice 2041: total 319.50 EUR", fill="black", font=font)
    draw.text((30, 170), "Grüße aus Köln und München", fill="black", font=font)
    path = tmp_path_factory.mktemp("ocr") / "page.png"
    image.save(path)
    return path


def tesseract_cli(path: Path, lang: str, psm: int) -> str:
    return subprocess.run(["tesseract", str(path), "-", "-l", lang, "--psm", str(psm)],
                          capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("lang, psm", [("eng", 3), ("eng", 6), ("eng", 11), ("eng+deu", 3), ("deu", 4)])
def test_text_equals_the_command_line(page, lang, psm):
    result = mmzoo.run("ocr", page, model="ocr/tesseract", lang=lang, psm=psm)
    assert result.text == tesseract_cli(page, lang, psm)
    assert result.language == lang


def test_words_have_boxes_inside_the_image_and_confidences(page):
    result = mmzoo.run("ocr", page, lang="deu+eng")
    width, height = Image.open(page).size
    found = [w.text for w in result.words]
    for expected in ["Seven", "tasks", "registry.", "2041:", "319.50", "EUR", "Grüße", "München"]:
        assert expected in found
    for word in result.words:
        left, top, w, h = word.box
        assert 0 <= left and 0 <= top and left + w <= width and top + h <= height and w > 0 and h > 0
        assert 0 <= word.confidence <= 100
    assert sorted({w.line for w in result.words}) == [0, 1, 2]
    seven = next(w for w in result.words if w.text == "Seven")
    assert 20 <= seven.box[0] <= 40 and 25 <= seven.box[1] <= 50  # where we drew it


def test_languages_come_from_the_installed_packs():
    languages = mmzoo.load("ocr/tesseract").languages()
    assert "eng" in languages and "deu" in languages and "osd" not in languages


def test_uninstalled_language_names_the_package(page):
    with pytest.raises(mmzoo.InvalidInput, match="tesseract-ocr-xyz"):
        mmzoo.run("ocr", page, lang="eng+xyz")


def test_batch_keeps_order(page):
    example = Path(mmzoo.__file__).parent / "assets" / "ocr-example.png"
    results = mmzoo.run("ocr", [page, example])
    assert "Seven" in results[0].text and "quick brown fox" in results[1].text
