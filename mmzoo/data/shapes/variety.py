"""The wild world (``variety="wild"``): the variety of users' images and questions, with one drawing
style and one phrasing family kept out of training.

Each scene of a wild world draws, on its own random stream (``[seed, index, 2]``), a :class:`Look`:
a drawing style, a zoom of its shapes (as a closer crop would show them), a background that may be
dark or busy, an effective resolution down to 64 px (drawn small, scaled back up) and JPEG
artefacts; and for every question a phrasing family (British spelling, synonyms, open wording,
negation). The train, val and test splits use the training styles and phrasings; the ``heldout``
split is the test scenes again, drawn in :data:`HELD_OUT_STYLE` with their existence questions asked
in :data:`HELD_OUT_PHRASING`, which no split a model trains on contains.

Crops that cut a shape are not drawn: a half-visible shape has no certain shape, colour or count.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from ...errors import InvalidInput
from ..names import VARIETIES
from .rendering import STYLES, render
from .scenes import Background, Scene
from .vqa import QA

HELD_OUT_STYLE = "outline"
TRAINING_STYLES = tuple(s for s in STYLES if s != HELD_OUT_STYLE)
#: Question wordings: the plain world's, "colour", synonyms ("rectangle" for square, "things" for
#: shapes), open wording ("what shape is in the image?"), negated existence ("is there no ...?") and,
#: held out, existence as people ask it of a picture ("does the image contain a ...?").
PHRASINGS = ("plain", "british", "synonyms", "open", "negated", "contain")
HELD_OUT_PHRASING = "contain"
TRAINING_PHRASINGS = tuple(p for p in PHRASINGS if p != HELD_OUT_PHRASING)
RESOLUTIONS = (64, 80, 96)  # effective sizes of the scenes not drawn at full resolution
SCALES = (0.75, 1.3)  # the zoom's range


def check_variety(variety: str) -> None:
    if variety not in VARIETIES:
        raise InvalidInput(f"variety must be one of {', '.join(VARIETIES)}, got {variety!r}")


@dataclass(frozen=True)
class Look:
    """How a wild scene is drawn: style, zoom, background, effective resolution, JPEG quality."""

    style: str
    scale: float
    background: Background
    resolution: int | None = None  # None: the world's image size
    jpeg_quality: int | None = None  # None: no JPEG round trip


def draw_look(rng: np.random.Generator) -> Look:
    """A random look, from the scene's variety stream."""
    style = TRAINING_STYLES[int(rng.integers(len(TRAINING_STYLES)))]
    scale = round(float(rng.uniform(*SCALES)), 2)
    resolution = RESOLUTIONS[int(rng.integers(len(RESOLUTIONS)))] if rng.random() < 0.4 else None
    quality = int(rng.integers(20, 61)) if rng.random() < 0.4 else None
    return Look(style, scale, _background(rng), resolution, quality)


def _background(rng: np.random.Generator) -> Background:
    kind = ("plain", "gradient", "noise", "dark", "busy")[int(rng.integers(5))]
    low, high = (0, 60) if kind == "dark" else (210, 256)  # dark: every channel < 60, far from the palette too
    colour = tuple(int(c) for c in rng.integers(low, high, size=3))
    colour2 = tuple(int(c) for c in rng.integers(low, high, size=3)) if kind == "gradient" else colour
    direction = ("vertical", "horizontal", "diagonal")[int(rng.integers(3))]
    return Background(kind, colour, colour2, direction, int(rng.integers(2**31)))


def render_look(scene: Scene, look: Look, style: str | None = None) -> Image.Image:
    """The scene drawn with ``look`` (its style, or ``style``), at reduced resolution and through JPEG
    when the look says so; always ``scene.size`` square."""
    image = render(scene, style or look.style)
    if look.resolution and look.resolution < scene.size:
        image = image.resize((look.resolution,) * 2, Image.BILINEAR).resize((scene.size,) * 2, Image.BILINEAR)
    if look.jpeg_quality:
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=look.jpeg_quality)
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return image


# -- phrasings --------------------------------------------------------------------------------

_SYNONYMS = {"square": "rectangle", "squares": "rectangles", "diamond": "rhombus", "diamonds": "rhombuses",
             "shapes": "things", "objects": "items", "object": "thing"}
_EXISTENCE = re.compile(r"^is there (an? .+)\?$")


def reword(qa: QA, family: str, scene: Scene, rng: np.random.Generator) -> QA:
    """``qa`` asked in phrasing ``family``: same meaning, same answer (negation flips a yes/no one);
    a question the family has no wording for stays as it is."""
    text = qa.question
    if family == "british":
        text = re.sub(r"\bcolor\b", "colour", text)
    elif family == "synonyms":
        text = " ".join(_SYNONYMS.get(word, word) for word in text[:-1].split(" ")) + "?"
        text = text.replace("how many ", "what number of ", 1) if rng.random() < 0.5 else text
    elif family == "open":
        text = _open(qa, scene)
    elif family in ("negated", HELD_OUT_PHRASING) and (match := _EXISTENCE.match(text)):
        thing = match.group(1)
        if family == "negated":
            return replace(qa, question=f"is there no {thing.split(' ', 1)[1]}?",
                           answer="no" if qa.answer == "yes" else "yes")
        forms = ("does the image contain {}?", "can you see {}?", "is there {} in the picture?")
        text = forms[int(rng.integers(len(forms)))].format(thing)
    return replace(qa, question=text)


def _open(qa: QA, scene: Scene) -> str:
    text = qa.question
    if qa.question_type == "what shape is the" and len(scene.objects) == 1:
        return "what shape is in the image?"
    if (match := re.match(r"^what color is the (\w+)\?$", text)):
        return f"what is the color of the {match.group(1)}?"
    if (match := re.match(r"^what size is (.+)\?$", text)):
        return f"how big is {match.group(1)}?"
    return text


def wild_questions(questions: list[QA], scene: Scene, rng: np.random.Generator) -> tuple[list[QA], list[QA]]:
    """The plain ``questions`` as a wild world asks them: each in a training phrasing family drawn for
    it, and for the held-out split the existence ones in the held-out family instead."""
    worded = [reword(qa, TRAINING_PHRASINGS[int(rng.integers(len(TRAINING_PHRASINGS)))], scene, rng)
              for qa in questions]
    held_out = [reword(qa, HELD_OUT_PHRASING, scene, rng) if _EXISTENCE.match(qa.question) else mine
                for qa, mine in zip(questions, worded)]
    return worded, held_out
