"""OCR pages: rendered lines of words and numbers in DejaVu fonts, slightly rotated and noisy."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ...errors import MissingDependency
from .scenes import _pick

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSansCondensed.ttf",
         "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf",
         "DejaVuSerif-Italic.ttf", "DejaVuSerifCondensed.ttf")
MAX_TEXT_WIDTH = 560  # pixels; with margins a page is at most ~620 px wide (before rotation)
WORDS = """
the of and to in is for that with on as was at by from this have are not but all can had her one
our out day get has him his how man new now old see two way who boy did its let put say she too use
time year people water world house after again place small large light paper river north south city
green black white table chair window garden market station letter number figure model image sound
music voice morning evening winter summer spring autumn coffee bread apple orange sugar salt stone
metal glass paint colour shape circle square simple quick quiet bright early late first second third
open close start finish build learn teach write read speak listen travel follow answer question
""".split()
PUNCTUATION = (",", ".", ";", ":", "!", "?")


def check_fonts() -> None:
    """Raise :class:`MissingDependency`, naming the fix, unless every font is installed."""
    if not all((FONT_DIR / name).is_file() for name in FONTS):
        raise MissingDependency(f"the Shapes world's OCR pages need the DejaVu fonts in {FONT_DIR}: "
                                "run `sudo apt-get install fonts-dejavu-core fonts-dejavu-extra`, or pass ocr=False")


def random_text(rng: np.random.Generator) -> list[str]:
    """1-3 lines of 2-8 tokens: words (some capitalised, some punctuated) and numbers."""
    lines = []
    for _ in range(int(rng.integers(1, 4))):
        tokens = []
        for _ in range(int(rng.integers(2, 9))):
            roll = rng.random()
            if roll < 0.15:
                token = str(int(rng.integers(0, 10_000))) if rng.random() < 0.7 else f"{rng.uniform(0, 100):.2f}"
            else:
                token = _pick(rng, WORDS)
                token = token.capitalize() if roll > 0.85 else token
                token += _pick(rng, PUNCTUATION) if rng.random() < 0.15 else ""
            tokens.append(token)
        lines.append(" ".join(tokens))
    return lines


@lru_cache(maxsize=None)
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / name), size)


def render_page(rng: np.random.Generator) -> tuple[Image.Image, str]:
    """A greyscale page of dark text on a light background, slightly rotated and noisy, and its text."""
    font = _font(_pick(rng, FONTS), int(rng.integers(16, 41)))
    lines = []
    for line in random_text(rng):  # drop words from the end until the line fits the page
        words = line.split(" ")
        while len(words) > 2 and font.getlength(" ".join(words)) > MAX_TEXT_WIDTH:
            words.pop()
        lines.append(" ".join(words))
    ascent, descent = font.getmetrics()
    line_height, margin = int((ascent + descent) * 1.2), int(rng.integers(12, 33))
    width = math.ceil(max(font.getlength(line) for line in lines)) + 2 * margin
    height = line_height * len(lines) + 2 * margin
    # Grey levels, not RGB: a noisy page compresses 3x smaller and 4x faster, and OCR reads grey anyway.
    paper, ink = int(rng.integers(215, 256)), int(rng.integers(0, 70))
    page = Image.new("L", (width, height), paper)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * line_height), line, font=font, fill=ink)
    page = page.rotate(float(rng.uniform(-3, 3)), resample=Image.BICUBIC, expand=True, fillcolor=paper)
    pixels = np.asarray(page, float) + rng.normal(0, float(rng.uniform(0, 8)), (page.height, page.width))
    return Image.fromarray(np.clip(np.round(pixels), 0, 255).astype(np.uint8)), "\n".join(lines)


def ocr_page(seed: int, index: int) -> tuple[Image.Image, str]:
    """The OCR page of scene ``index``, from its own random stream (so ``ocr=False`` changes nothing else)."""
    return render_page(np.random.default_rng([seed, index, 1]))
