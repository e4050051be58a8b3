"""The Shapes world: seeded synthetic scenes as offline training and evaluation data for every task.

A scene holds 1-4 coloured shapes on a light background; the wild world (``variety="wild"``,
:mod:`.variety`) varies drawing style, zoom, background, resolution, JPEG quality and question
phrasing, and keeps one style and one phrasing family for a held-out split. From each scene come an image, five
captions, VQA questions with single-word answers, the five captions spoken (espeak-ng voices of many
accents; val and test again in a held-out accent) and, on its own
random stream, one OCR page of rendered text. :func:`generate` writes them in the real datasets'
formats (COCO captions, Karpathy splits, VQA v2, Places spoken captions, an image+text JSONL), so
the readers in :mod:`mmzoo.data.readers` load the Shapes world and the real datasets alike.

Determinism: scene ``i`` draws everything from ``numpy.random.default_rng([seed, i])`` (its OCR
page from ``[seed, i, 1]``), so its content depends neither on ``n`` nor on the number of workers,
and the same seed gives byte-identical files (JSON with sorted keys, PNGs without timestamps).
Audio is 16 kHz mono 16-bit PCM: espeak-ng's 22050 Hz output resampled with ``resample_poly``.

One module per concern: ``scenes`` (random scenes), ``rendering`` (scene to image), ``language``
(captions), ``vqa`` (questions), ``speech`` (spoken captions), ``pages`` (OCR pages), ``examples``
(one scene end to end), ``variety`` (the wild world's looks and phrasings), ``formats`` (the JSON files) and ``writers`` (:func:`generate`). Names
with a leading underscore are private to the package.
"""

from __future__ import annotations

from ..tokens import tokenize
from .examples import Example, example
from .formats import JSON_INDENT, SPLITS, VERSION, image_id
from .language import NUMBER_WORDS, Template, captions, mentions
from .pages import FONT_DIR, FONTS, MAX_TEXT_WIDTH, PUNCTUATION, WORDS, check_fonts, ocr_page, random_text, render_page
from .rendering import STYLES, SUPERSAMPLE, render
from .scenes import COLOURS, HELD_OUT_PAIRS, RADIUS, SHAPES, SIZES, Background, Obj, Scene, radius, random_scene
from .formats import UNHEARD, UNHEARD_SPLITS
from .speech import (HELD_OUT_FAMILY, SAMPLE_RATE, TRAINING_FAMILIES, UNHEARD_VOICES, VOICES, Speech, draw_speech,
                     espeak_program, synthesise)
from ..names import HELD_OUT, VARIETIES
from .variety import (HELD_OUT_PHRASING, HELD_OUT_STYLE, PHRASINGS, TRAINING_PHRASINGS, TRAINING_STYLES, Look,
                      render_look, reword)
from .vqa import QA, questions
from .writers import OUTPUTS, PNG_OPTIONS, generate, split_of, split_sizes

__all__ = [
    "generate", "split_sizes", "split_of", "example", "Example", "image_id", "VERSION", "SPLITS",
    "OUTPUTS", "PNG_OPTIONS", "JSON_INDENT",
    "Obj", "Background", "Scene", "random_scene", "radius", "SHAPES", "COLOURS", "SIZES", "RADIUS",
    "HELD_OUT_PAIRS",
    "render", "SUPERSAMPLE", "STYLES",
    "VARIETIES", "Look", "render_look", "reword", "HELD_OUT", "HELD_OUT_STYLE", "HELD_OUT_PHRASING", "TRAINING_STYLES",
    "PHRASINGS", "TRAINING_PHRASINGS",
    "captions", "mentions", "Template", "NUMBER_WORDS", "tokenize",
    "QA", "questions",
    "Speech", "synthesise", "espeak_program", "SAMPLE_RATE", "VOICES", "UNHEARD_VOICES", "TRAINING_FAMILIES",
    "HELD_OUT_FAMILY", "draw_speech", "UNHEARD", "UNHEARD_SPLITS",
    "ocr_page", "render_page", "random_text", "check_fonts", "FONT_DIR", "FONTS", "MAX_TEXT_WIDTH", "WORDS",
    "PUNCTUATION",
]
