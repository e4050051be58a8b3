"""The Shapes world: seeded synthetic scenes as offline training and evaluation data for every task.

A scene holds 1-4 coloured shapes on a light background. From each scene come an image, five
captions, VQA questions with single-word answers, one spoken caption (espeak-ng) and, on its own
random stream, one OCR page of rendered text. :func:`generate` writes them in the real datasets'
formats (COCO captions, Karpathy splits, VQA v2, Places spoken captions, an image+text JSONL), so
the readers in :mod:`mmzoo.data.readers` load the Shapes world and the real datasets alike.

Determinism: scene ``i`` draws everything from ``numpy.random.default_rng([seed, i])`` (its OCR
page from ``[seed, i, 1]``), so its content depends neither on ``n`` nor on the number of workers,
and the same seed gives byte-identical files (JSON with sorted keys, PNGs without timestamps).
Audio is 16 kHz mono 16-bit PCM: espeak-ng's 22050 Hz output resampled with ``resample_poly``.

Geometry conventions: coordinates are pixels, ``y`` grows downwards, ``x``/``y`` are the centre.
"A is left of B" means A's centre is further left by more than a small margin (CLEVR-style), and
pairs within the margin on an axis are never asked about on that axis.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..errors import InvalidInput, MissingDependency, MMZooError
from .tokens import tokenize

VERSION = "1"

SHAPES = ("circle", "square", "triangle", "star", "diamond", "hexagon", "cross")
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (30, 160, 50),
    "blue": (30, 70, 220),
    "yellow": (245, 205, 20),
    "purple": (130, 50, 170),
    "orange": (245, 130, 20),
    "pink": (245, 110, 180),
    "brown": (130, 80, 35),
}
SIZES = ("small", "large")
RADIUS = {"small": 0.085, "large": 0.15}  # circumscribed radius as a fraction of the canvas side
SPLITS = ("train", "val", "test")
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five")

SAMPLE_RATE = 16_000
ESPEAK_RATE = 22_050
VOICES = ("en-us", "en-gb", "en-us+f3", "en-gb+m3", "en-us+m7", "en-gb+f4")

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

PNG_OPTIONS = {"format": "PNG", "compress_level": 6, "optimize": False}  # fixed: identical bytes per run
JSON_INDENT = 1


# -- scenes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Obj:
    """One shape: its attributes, centre in pixels, and a small drawing rotation in degrees."""

    shape: str
    colour: str
    size: str
    x: int
    y: int
    angle: float = 0.0


@dataclass(frozen=True)
class Background:
    """A light background: ``plain``, ``gradient`` (``colour`` to ``colour2``) or ``noise``."""

    kind: str
    colour: tuple[int, int, int]
    colour2: tuple[int, int, int]
    direction: str = "vertical"  # gradients: vertical, horizontal or diagonal
    seed: int = 0  # noise

    @property
    def description(self) -> str:
        return {"plain": "light", "gradient": "light gradient", "noise": "light noisy"}[self.kind]


@dataclass
class Scene:
    objects: list[Obj]
    background: Background
    size: int = 128


@dataclass(frozen=True)
class QA:
    question: str
    answer: str
    question_type: str
    answer_type: str  # "yes/no", "number" or "other", as in VQA v2


def radius(obj: Obj, canvas: int) -> float:
    return RADIUS[obj.size] * canvas


def random_scene(rng: np.random.Generator, size: int = 128) -> Scene:
    """1-4 shapes with distinct (colour, shape) pairs, placed without overlap, on a light background."""
    count = int(rng.integers(1, 5))
    pairs = rng.choice(len(SHAPES) * len(COLOURS), size=count, replace=False)
    colour_names = list(COLOURS)
    objects: list[Obj] = []
    for pair in pairs:
        shape, colour = SHAPES[pair // len(COLOURS)], colour_names[pair % len(COLOURS)]
        obj_size = SIZES[int(rng.integers(2))]
        angle = 0.0 if shape == "circle" else round(float(rng.uniform(-10, 10)), 1)
        spot = _free_spot(rng, objects, RADIUS[obj_size] * size, size)
        if spot is not None:  # a crowded canvas drops the shape rather than overlapping it
            objects.append(Obj(shape, colour, obj_size, spot[0], spot[1], angle))
    return Scene(objects, _random_background(rng), size)


def _free_spot(rng: np.random.Generator, placed: list[Obj], r: float, size: int,
               tries: int = 100) -> tuple[int, int] | None:
    low, high = math.ceil(r) + 2, size - math.ceil(r) - 2
    for _ in range(tries):
        x, y = int(rng.integers(low, high + 1)), int(rng.integers(low, high + 1))
        if all(math.hypot(x - o.x, y - o.y) >= r + radius(o, size) + 2 for o in placed):
            return x, y
    return None


def _random_background(rng: np.random.Generator) -> Background:
    # Every channel >= 210 keeps the background light and far from all eight object colours.
    def light() -> tuple[int, int, int]:
        return tuple(int(c) for c in rng.integers(210, 256, size=3))

    kind = ("plain", "gradient", "noise")[int(rng.integers(3))]
    colour, colour2 = light(), light()
    direction = ("vertical", "horizontal", "diagonal")[int(rng.integers(3))]
    seed = int(rng.integers(2**31))
    if kind != "gradient":
        colour2 = colour
    return Background(kind, colour, colour2, direction, seed)


# -- rendering -------------------------------------------------------------------------

SUPERSAMPLE = 2  # shapes are drawn at 2x and box-filtered down, which anti-aliases their edges


def render(scene: Scene) -> Image.Image:
    """The scene as a ``size`` x ``size`` RGB image."""
    big = scene.size * SUPERSAMPLE
    image = Image.fromarray(_background_pixels(scene.background, scene.size)).resize((big, big), Image.NEAREST)
    draw = ImageDraw.Draw(image)
    for obj in scene.objects:
        cx, cy = (obj.x + 0.5) * SUPERSAMPLE, (obj.y + 0.5) * SUPERSAMPLE  # pixel centre at 2x
        r = radius(obj, scene.size) * SUPERSAMPLE
        fill = COLOURS[obj.colour]
        if obj.shape == "circle":
            draw.ellipse((cx - 0.85 * r, cy - 0.85 * r, cx + 0.85 * r, cy + 0.85 * r), fill=fill)
        else:
            draw.polygon(_outline(obj.shape, cx, cy, r, obj.angle), fill=fill)
    return image.reduce(SUPERSAMPLE)


def _background_pixels(background: Background, size: int) -> np.ndarray:
    start, end = np.array(background.colour, float), np.array(background.colour2, float)
    ys, xs = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    t = {"vertical": ys, "horizontal": xs, "diagonal": (xs + ys) / 2}[background.direction]
    pixels = start + (end - start) * t[..., None]
    if background.kind == "noise":
        pixels += np.random.default_rng(background.seed).normal(0, 6, pixels.shape)
    return np.clip(np.round(pixels), 0, 255).astype(np.uint8)


def _outline(shape: str, cx: float, cy: float, r: float, angle: float) -> list[tuple[float, float]]:
    """Polygon vertices of ``shape`` with circumscribed radius about ``r``, rotated by ``angle``."""
    if shape == "square":
        points = [(-0.7, -0.7), (0.7, -0.7), (0.7, 0.7), (-0.7, 0.7)]
    elif shape == "diamond":
        points = [(0, -1), (0.7, 0), (0, 1), (-0.7, 0)]
    elif shape == "triangle":  # equilateral, centroid at the centre, pointing up
        points = _polar(3, 1.0, -90)
    elif shape == "hexagon":
        points = _polar(6, 0.92, 0)
    elif shape == "star":  # alternate outer and inner vertices
        outer, inner = _polar(5, 1.0, -90), _polar(5, 0.45, -54)
        points = [p for pair in zip(outer, inner) for p in pair]
    elif shape == "cross":
        a, b = 0.3, 0.9  # arm half-width, arm reach
        points = [(-a, -b), (a, -b), (a, -a), (b, -a), (b, a), (a, a), (a, b), (-a, b), (-a, a), (-b, a),
                  (-b, -a), (-a, -a)]
    else:
        raise InvalidInput(f"unknown shape {shape!r}; use one of {', '.join(SHAPES)}")
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return [(cx + r * (px * cos - py * sin), cy + r * (px * sin + py * cos)) for px, py in points]


def _polar(count: int, scale: float, start_degrees: float) -> list[tuple[float, float]]:
    step = 360 / count
    return [(scale * math.cos(math.radians(start_degrees + i * step)),
             scale * math.sin(math.radians(start_degrees + i * step))) for i in range(count)]


# -- language helpers ------------------------------------------------------------------


def _a(words: str) -> str:
    return f"{'an' if words[0] in 'aeiou' else 'a'} {words}"


def _noun(obj: Obj, size: bool = True) -> str:
    return f"{obj.size} {obj.colour} {obj.shape}" if size else f"{obj.colour} {obj.shape}"


def _the(obj: Obj) -> str:
    return f"the {obj.colour} {obj.shape}"  # unique: a scene never repeats a (colour, shape) pair


def _plural(shape: str) -> str:
    return shape + ("es" if shape.endswith("s") else "s")


def _listing(phrases: Sequence[str]) -> str:
    return phrases[0] if len(phrases) == 1 else f"{', '.join(phrases[:-1])} and {phrases[-1]}"


def _margin(scene: Scene) -> float:
    return 0.04 * scene.size


def _dominant_relation(a: Obj, b: Obj) -> str:
    """Where ``a`` is relative to ``b`` along the axis on which they differ most."""
    dx, dy = a.x - b.x, a.y - b.y
    if abs(dx) >= abs(dy):
        return "left" if dx < 0 else "right"
    return "above" if dy < 0 else "below"


def _relation_words(relation: str, rng: np.random.Generator) -> str:
    options = {
        "left": ("to the left of", "left of", "on the left of"),
        "right": ("to the right of", "right of", "on the right of"),
        "above": ("above", "over"),
        "below": ("below", "under", "beneath"),
    }[relation]
    return options[int(rng.integers(len(options)))]


def _region(obj: Obj, size: int) -> str:
    """Where on the canvas: thirds horizontally and vertically."""
    h = "left" if obj.x < size / 3 else "right" if obj.x >= 2 * size / 3 else ""
    v = "top" if obj.y < size / 3 else "bottom" if obj.y >= 2 * size / 3 else ""
    if h and v:
        return f"in the {v} {h} corner of the image"
    if h:
        return f"on the {h} of the image"
    if v:
        return f"at the {v} of the image"
    return "in the middle of the image"


# -- captions --------------------------------------------------------------------------


def captions(scene: Scene, rng: np.random.Generator, n: int = 5) -> list[str]:
    """``n`` distinct lower-case captions without a final period, in varied phrasings."""
    pool = _single_templates(scene) if len(scene.objects) == 1 else _multi_templates(scene)
    if n > len(pool):
        raise InvalidInput(f"at most {len(pool)} captions per scene, asked for {n}")
    return [pool[i](rng) for i in rng.choice(len(pool), size=n, replace=False)]


Template = Callable[[np.random.Generator], str]


def _single_templates(scene: Scene) -> list[Template]:
    o, bg = scene.objects[0], scene.background.description
    where = _region(o, scene.size)
    return [
        lambda rng: _a(_noun(o)),
        lambda rng: f"{_a(_noun(o, size=False))} {where}",
        lambda rng: f"{_a(_noun(o))} on a {bg} background",
        lambda rng: f"a single {_noun(o, size=False)}",
        lambda rng: f"there is one shape: {_a(_noun(o))}",
        lambda rng: f"an image of {_a(_noun(o))} {where}",
        lambda rng: f"one {o.colour} {o.shape} {where} on a {bg} background",
        lambda rng: f"{_a(o.size)} {o.shape} colored {o.colour}",
    ]


def _multi_templates(scene: Scene) -> list[Template]:
    objs, bg, count = scene.objects, scene.background.description, NUMBER_WORDS[len(scene.objects)]

    def pair(rng: np.random.Generator) -> tuple[Obj, Obj]:
        i, j = rng.choice(len(objs), size=2, replace=False)
        return objs[i], objs[j]

    def related(rng: np.random.Generator, verb: str, size: bool) -> str:
        a, b = pair(rng)
        words = _relation_words(_dominant_relation(a, b), rng)
        return f"{_a(_noun(a, size))} {verb}{words} {_a(_noun(b, size))}"

    def positioned(rng: np.random.Generator) -> str:
        o = objs[int(rng.integers(len(objs)))]
        others = len(objs) - 1
        return f"{_a(_noun(o, size=False))} {_region(o, scene.size)} and {NUMBER_WORDS[others]} other " \
               f"shape{'s' if others > 1 else ''}"

    def by_colour(rng: np.random.Generator) -> str:
        counts = sorted(Counter(o.colour for o in objs).items(), key=lambda kv: (-kv[1], kv[0]))
        parts = [f"{NUMBER_WORDS[c]} {colour} shape{'s' if c > 1 else ''}" for colour, c in counts]
        return f"{_listing(parts)} on a {bg} background"

    listing = lambda size: _listing([_a(_noun(o, size)) for o in objs])  # noqa: E731
    return [
        lambda rng: related(rng, "", size=True),
        lambda rng: related(rng, "is ", size=False),
        lambda rng: f"there are {count} shapes: {listing(True)}",
        lambda rng: f"{listing(False)} on a {bg} background",
        positioned,
        by_colour,
        lambda rng: f"{count} shapes including {_a(_noun(objs[int(rng.integers(len(objs)))]))}",
    ]


# -- questions -------------------------------------------------------------------------


def questions(scene: Scene, rng: np.random.Generator) -> list[QA]:
    """6-10 questions with single-word answers: counts, colours, shapes, sizes, existence, relations.

    Existence questions come as one yes and one no per scene; relation yes/no answers are
    yes half of the time. Colour and shape questions are asked only about unique referents.
    """
    families = (_count_questions, _colour_question, _shape_question, _size_question,
                _existence_questions, _relation_question, _relative_colour_question)
    return [qa for family in families for qa in family(scene, rng)]


def _pick(rng: np.random.Generator, items: Sequence[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


def _count_questions(scene: Scene, rng: np.random.Generator) -> list[QA]:
    objs = scene.objects
    noun = _pick(rng, ("shapes", "objects"))
    colour = _pick(rng, sorted({o.colour for o in objs}) if rng.random() < 0.5 else list(COLOURS))
    shape = _pick(rng, sorted({o.shape for o in objs}) if rng.random() < 0.5 else list(SHAPES))
    return [
        QA(f"how many {noun} are there?", str(len(objs)), "how many", "number"),
        QA(f"how many {colour} {_pick(rng, ('objects', 'shapes'))} are there?",
           str(sum(o.colour == colour for o in objs)), "how many", "number"),
        QA(f"how many {_plural(shape)} are there?", str(sum(o.shape == shape for o in objs)), "how many", "number"),
    ]


def _unique(objs: list[Obj], key: Callable[[Obj], str]) -> list[Obj]:
    counts = Counter(key(o) for o in objs)
    return [o for o in objs if counts[key(o)] == 1]


def _colour_question(scene: Scene, rng: np.random.Generator) -> list[QA]:
    candidates = _unique(scene.objects, lambda o: o.shape)
    if not candidates:
        return []
    o = _pick(rng, candidates)
    return [QA(f"what color is the {o.shape}?", o.colour, "what color is the", "other")]


def _shape_question(scene: Scene, rng: np.random.Generator) -> list[QA]:
    candidates = _unique(scene.objects, lambda o: o.colour)
    if not candidates:
        return []
    o = _pick(rng, candidates)
    noun = _pick(rng, ("object", "one"))
    return [QA(f"what shape is the {o.colour} {noun}?", o.shape, "what shape is the", "other")]


def _size_question(scene: Scene, rng: np.random.Generator) -> list[QA]:
    o = _pick(rng, scene.objects)
    return [QA(f"what size is {_the(o)}?", o.size, "what size is the", "other")]


def _existence_questions(scene: Scene, rng: np.random.Generator) -> list[QA]:
    present = _pick(rng, scene.objects)
    taken = {(o.colour, o.shape) for o in scene.objects}
    # Half of the "no" questions reuse a shape from the scene, so colour alone decides the answer.
    shapes = [o.shape for o in scene.objects] if rng.random() < 0.5 else list(SHAPES)
    absent = [(c, s) for s in shapes for c in COLOURS if (c, s) not in taken]
    colour, shape = _pick(rng, absent)
    pair = [QA(f"is there {_a(_noun(present, size=False))}?", "yes", "is there a", "yes/no"),
            QA(f"is there {_a(f'{colour} {shape}')}?", "no", "is there a", "yes/no")]
    return pair if rng.random() < 0.5 else pair[::-1]


_AXIS = {"left": ("x", -1), "right": ("x", 1), "above": ("y", -1), "below": ("y", 1)}
_OPPOSITE = {"left": "right", "right": "left", "above": "below", "below": "above"}
_RELATION_TEXT = {"left": "to the left of", "right": "to the right of", "above": "above", "below": "below"}


def _offset(a: Obj, b: Obj, relation: str) -> float:
    """How far ``a`` lies beyond ``b`` in the direction of ``relation`` (negative: the other way)."""
    axis, sign = _AXIS[relation]
    return sign * (getattr(a, axis) - getattr(b, axis))


def _relation_question(scene: Scene, rng: np.random.Generator) -> list[QA]:
    margin = _margin(scene)
    candidates = [(a, b, rel) for a in scene.objects for b in scene.objects if a is not b
                  for rel in ("left", "above") if abs(_offset(a, b, rel)) > margin]
    if not candidates:
        return []
    a, b, relation = _pick(rng, candidates)
    if rng.random() < 0.5:
        relation = _OPPOSITE[relation]
    answer = "yes" if _offset(a, b, relation) > 0 else "no"
    return [QA(f"is {_the(a)} {_RELATION_TEXT[relation]} {_the(b)}?", answer, "is the", "yes/no")]


def _relative_colour_question(scene: Scene, rng: np.random.Generator) -> list[QA]:
    """'what color is the shape above the X?', asked only when exactly one shape is clearly there."""
    margin, candidates = _margin(scene), []
    for anchor in scene.objects:
        others = [o for o in scene.objects if o is not anchor]
        for relation in _AXIS:
            beyond = [o for o in others if _offset(o, anchor, relation) > margin]
            unclear = [o for o in others if abs(_offset(o, anchor, relation)) <= margin]
            if len(beyond) == 1 and not unclear:
                candidates.append((anchor, relation, beyond[0]))
    if not candidates:
        return []
    anchor, relation, target = _pick(rng, candidates)
    return [QA(f"what color is the shape {_RELATION_TEXT[relation]} {_the(anchor)}?", target.colour,
               "what color is the", "other")]


# -- OCR pages -------------------------------------------------------------------------


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


# -- speech ----------------------------------------------------------------------------


def espeak_program() -> str:
    program = shutil.which("espeak-ng")
    if program is None:
        raise MissingDependency("the Shapes world's spoken captions need espeak-ng: "
                                "run `sudo apt-get install espeak-ng`, or pass audio=False")
    return program


def synthesise(text: str, voice: str, rate: int, pitch: int, program: str = "espeak-ng") -> np.ndarray:
    """``text`` spoken by espeak-ng, as int16 samples at :data:`SAMPLE_RATE`."""
    from scipy.signal import resample_poly

    result = subprocess.run([program, "--stdout", "--stdin", "-v", voice, "-s", str(rate), "-p", str(pitch)],
                            input=text.encode(), capture_output=True)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip()
        raise MissingDependency(f"espeak-ng failed with voice {voice!r} ({message}); reinstall espeak-ng "
                                "(`sudo apt-get install --reinstall espeak-ng espeak-ng-data`)")
    samples = _wav_samples(result.stdout)
    gcd = math.gcd(SAMPLE_RATE, ESPEAK_RATE)
    resampled = resample_poly(samples.astype(np.float32), SAMPLE_RATE // gcd, ESPEAK_RATE // gcd)
    return np.clip(np.round(resampled), -32768, 32767).astype(np.int16)


def _wav_samples(data: bytes) -> np.ndarray:
    """16-bit mono samples of espeak's streamed WAV (its header sizes are placeholders, so we find 'data')."""
    if data[:4] != b"RIFF" or int.from_bytes(data[24:28], "little") != ESPEAK_RATE:
        raise MissingDependency(f"espeak-ng did not write a {ESPEAK_RATE} Hz WAV; reinstall espeak-ng")
    start = data.index(b"data", 12) + 8
    body = data[start:len(data) - (len(data) - start) % 2]
    return np.frombuffer(body, dtype="<i2")


# -- one scene, end to end -------------------------------------------------------------


@dataclass(frozen=True)
class Speech:
    text: str
    voice: str
    rate: int  # words per minute
    pitch: int  # 0-99


@dataclass
class Example:
    """Everything scene ``index`` of a world with this seed holds, except the rendered media."""

    scene: Scene
    captions: list[str]
    questions: list[QA]
    speech: Speech


def example(seed: int, index: int, image_size: int = 128) -> Example:
    """Scene ``index`` of the world with ``seed``: the same whatever ``n`` and ``workers`` are."""
    rng = np.random.default_rng([seed, index])
    scene = random_scene(rng, image_size)
    caps = captions(scene, rng)
    qas = questions(scene, rng)
    spoken = caps[int(rng.integers(len(caps)))]
    speech = Speech(spoken, _pick(rng, VOICES), int(rng.integers(150, 201)), int(rng.integers(35, 66)))
    return Example(scene, caps, qas, speech)


def ocr_page(seed: int, index: int) -> tuple[Image.Image, str]:
    """The OCR page of scene ``index``, from its own random stream (so ``ocr=False`` changes nothing else)."""
    return render_page(np.random.default_rng([seed, index, 1]))


def image_id(index: int) -> int:
    """Scene ``index`` (0-based) has image id ``index + 1``: ids start at 1, as in COCO."""
    return index + 1


@dataclass(frozen=True)
class _Job:
    out: str
    seed: int
    index: int
    split: str
    image_size: int
    audio: bool
    ocr: bool
    espeak: str | None


def _build(job: _Job) -> dict[str, Any]:
    """Render and write one scene's files; return the annotations for the JSON files."""
    out, name = Path(job.out), f"{image_id(job.index):06d}"
    ex = example(job.seed, job.index, job.image_size)
    render(ex.scene).save(out / "images" / job.split / f"{name}.png", **PNG_OPTIONS)
    item: dict[str, Any] = {"index": job.index, "split": job.split, "captions": ex.captions,
                            "questions": [(q.question, q.answer, q.question_type, q.answer_type) for q in ex.questions]}
    if job.audio:
        import soundfile

        speech = ex.speech
        samples = synthesise(speech.text, speech.voice, speech.rate, speech.pitch, job.espeak or "espeak-ng")
        soundfile.write(out / "audio" / job.split / f"{name}_0.wav", samples, SAMPLE_RATE, subtype="PCM_16")
        item["speech"] = {"text": ex.speech.text, "voice": ex.speech.voice}
    if job.ocr:
        page, text = ocr_page(job.seed, job.index)
        page.save(out / "ocr" / job.split / f"{name}.png", **PNG_OPTIONS)
        item["ocr"] = text
    return item


# -- the dataset on disk ---------------------------------------------------------------


def split_sizes(n: int, fractions: Sequence[float]) -> list[int]:
    """Scenes per split: largest remainders, and at least one for every non-zero fraction when n allows."""
    raw = [n * f for f in fractions]
    sizes = [math.floor(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: (sizes[i] - raw[i], i))[: n - sum(sizes)]:
        sizes[i] += 1
    for i, f in enumerate(fractions):
        if f > 0 and sizes[i] == 0 and max(sizes) > 1:
            sizes[sizes.index(max(sizes))] -= 1
            sizes[i] = 1
    return sizes


def split_of(n: int, fractions: Sequence[float]) -> list[str]:
    """The split of every scene: consecutive blocks, train first."""
    return [split for split, size in zip(SPLITS, split_sizes(n, fractions)) for _ in range(size)]


def generate(out_dir: str | Path, n: int = 1000, seed: int = 0, splits: Sequence[float] = (0.8, 0.1, 0.1),
             audio: bool = True, ocr: bool = True, workers: int = 2, image_size: int = 128,
             progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Write ``n`` scenes to ``out_dir`` in the real datasets' formats; return ``meta.json``'s content.

    ``splits`` are the train/val/test fractions. ``workers`` processes render and speak the scenes
    (1 runs inline); the files do not depend on it. ``progress(done, total)`` is called as scenes
    finish. ``out_dir`` must be empty, new, or an earlier Shapes world (which is replaced).
    """
    _check_arguments(n, seed, splits, workers, image_size)
    program = espeak_program() if audio else None
    if ocr and not all((FONT_DIR / name).is_file() for name in FONTS):
        raise MissingDependency(f"the Shapes world's OCR pages need the DejaVu fonts in {FONT_DIR}: "
                                "run `sudo apt-get install fonts-dejavu-core fonts-dejavu-extra`, or pass ocr=False")
    out = _prepare(Path(out_dir), audio, ocr)
    jobs = [_Job(str(out), seed, i, split, image_size, audio, ocr, program)
            for i, split in enumerate(split_of(n, splits))]
    items = _run_jobs(jobs, workers, progress)
    counts = _write_annotations(out, items, image_size, seed, audio, ocr)
    meta = {"generator": "mmzoo.data.shapes", "version": VERSION, "seed": seed, "n": n,
            "image_size": image_size, "splits": dict(zip(SPLITS, splits)), "counts": counts,
            "audio": {"sample_rate": SAMPLE_RATE, "espeak_ng": _espeak_version(program)} if audio else None}
    _write_json(out / "meta.json", meta)
    return meta


def _check_arguments(n: int, seed: int, splits: Sequence[float], workers: int, image_size: int) -> None:
    if not isinstance(n, int) or n < 1:
        raise InvalidInput(f"n must be a positive number of scenes, got {n!r}")
    if not isinstance(seed, int) or seed < 0:
        raise InvalidInput(f"seed must be a non-negative integer, got {seed!r}")
    if len(splits) != 3 or any(f < 0 for f in splits) or abs(sum(splits) - 1) > 1e-6:
        raise InvalidInput(f"splits must be three train/val/test fractions summing to 1, got {tuple(splits)}")
    if not isinstance(workers, int) or workers < 1:
        raise InvalidInput(f"workers must be at least 1, got {workers!r}")
    if not isinstance(image_size, int) or image_size < 32:
        raise InvalidInput(f"image_size must be at least 32 pixels, got {image_size!r}")


OUTPUTS = ("images", "annotations", "vqa", "audio", "ocr", "dataset_shapes.json", "meta.json",
           *(f"spoken_captions_{split}.json" for split in SPLITS))


def _prepare(out: Path, audio: bool, ocr: bool) -> Path:
    """Create the folders; refuse a non-empty folder unless it holds an earlier Shapes world."""
    if out.exists() and any(out.iterdir()):
        if not (out / "meta.json").is_file() or _read_generator(out / "meta.json") != "mmzoo.data.shapes":
            raise InvalidInput(f"{out} is not empty and holds no Shapes world; choose a new or empty folder")
        for name in OUTPUTS:  # only what an earlier run wrote, so no stale file survives
            path = out / name
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    kinds = ["images", "audio" if audio else None, "ocr" if ocr else None]
    for kind in filter(None, kinds):
        for split in SPLITS:
            (out / kind / split).mkdir(parents=True, exist_ok=True)
    (out / "annotations").mkdir(exist_ok=True)
    (out / "vqa").mkdir(exist_ok=True)
    return out


def _read_generator(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("generator")
    except (OSError, ValueError, AttributeError):
        return None


def _run_jobs(jobs: list[_Job], workers: int, progress: Callable[[int, int], None] | None) -> list[dict]:
    """Build every scene, in order; ``workers`` > 1 spreads them over processes."""
    items: list[dict] = []

    def collect(results: Any) -> list[dict]:
        for item in results:
            items.append(item)
            if progress is not None:
                progress(len(items), len(jobs))
        return items

    if workers == 1 or len(jobs) == 1:
        return collect(map(_build, jobs))
    from concurrent.futures import ProcessPoolExecutor  # a dead worker raises instead of hanging
    from concurrent.futures.process import BrokenProcessPool

    executor = ProcessPoolExecutor(min(workers, len(jobs)), mp_context=_process_context())
    try:
        return collect(executor.map(_build, jobs, chunksize=max(1, min(16, len(jobs) // (4 * workers)))))
    except BrokenProcessPool as exc:
        raise MMZooError(f"a Shapes worker process died ({exc}); run with workers=1 to see why") from exc
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _process_context() -> Any:
    """fork when this process runs one thread (fast, and works from stdin scripts), else spawn:
    forking a threaded process (the app) can deadlock. Either way the files are the same."""
    import multiprocessing
    import threading

    single = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if single else "spawn")


def _espeak_version(program: str | None) -> str | None:
    if program is None:
        return None
    result = subprocess.run([program, "--version"], capture_output=True, text=True)
    match = re.search(r"text-to-speech: (\S+)", result.stdout)
    return match.group(1) if match else result.stdout.strip()


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, sort_keys=True, indent=JSON_INDENT, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def _write_annotations(out: Path, items: list[dict], image_size: int, seed: int,
                       audio: bool, ocr: bool) -> dict[str, dict[str, int]]:
    """Write every JSON file from the scenes' annotations; return the counts per split and modality."""
    info = {"description": "mmzoo Shapes world", "version": VERSION, "seed": seed}
    karpathy: list[dict] = []
    counts = {}
    for split in SPLITS:
        mine = [item for item in items if item["split"] == split]
        counts[split] = {
            "images": len(mine),
            "captions": _write_captions(out, split, mine, info, image_size, karpathy),
            "questions": _write_vqa(out, split, mine, info),
            "audio": _write_spoken(out, split, mine) if audio else 0,
            "ocr": _write_pages(out, split, mine) if ocr else 0,
        }
    _write_json(out / "dataset_shapes.json", {"dataset": "shapes", "images": karpathy})
    return counts


def _write_captions(out: Path, split: str, items: list[dict], info: dict, image_size: int,
                    karpathy: list[dict]) -> int:
    """COCO captions for one split; appends the split's images to the Karpathy list."""
    images, rows = [], []
    for item in items:
        iid = image_id(item["index"])
        images.append({"id": iid, "file_name": f"{split}/{iid:06d}.png", "width": image_size, "height": image_size})
        mine = [{"id": iid * 10 + k, "image_id": iid, "caption": c} for k, c in enumerate(item["captions"])]
        rows += mine
        imgid = len(karpathy)
        karpathy.append({"filepath": split, "filename": f"{iid:06d}.png", "imgid": imgid, "cocoid": iid,
                         "split": split, "sentids": [r["id"] for r in mine],
                         "sentences": [{"raw": r["caption"], "tokens": tokenize(r["caption"]), "imgid": imgid,
                                        "sentid": r["id"]} for r in mine]})
    _write_json(out / "annotations" / f"captions_{split}.json", {"info": info, "images": images, "annotations": rows})
    return len(rows)


def _write_spoken(out: Path, split: str, items: list[dict]) -> int:
    data = []
    for item in items:
        name = f"{image_id(item['index']):06d}"
        data.append({"uttid": f"{name}_0", "speaker": item["speech"]["voice"], "asr_text": item["speech"]["text"],
                     "wav": f"{split}/{name}_0.wav", "image": f"{split}/{name}.png"})
    _write_json(out / f"spoken_captions_{split}.json",
                {"image_base_path": "images", "audio_base_path": "audio", "data": data})
    return len(data)


def _write_pages(out: Path, split: str, items: list[dict]) -> int:
    lines = [json.dumps({"image": f"{split}/{image_id(item['index']):06d}.png", "text": item["ocr"]},
                        sort_keys=True, ensure_ascii=False) + "\n" for item in items]
    (out / "ocr" / f"{split}.jsonl").write_text("".join(lines), encoding="utf-8")
    return len(lines)


def _write_vqa(out: Path, split: str, items: list[dict], info: dict) -> int:
    questions_rows, annotations = [], []
    for item in items:
        iid = image_id(item["index"])
        for k, (question, answer, question_type, answer_type) in enumerate(item["questions"]):
            qid = iid * 1000 + k  # the VQA v2 convention: image id times 1000 plus the question's number
            questions_rows.append({"image_id": iid, "question": question, "question_id": qid})
            annotations.append({
                "question_id": qid, "image_id": iid, "question_type": question_type, "answer_type": answer_type,
                "multiple_choice_answer": answer,
                "answers": [{"answer": answer, "answer_confidence": "yes", "answer_id": a} for a in range(1, 11)],
            })
    _write_json(out / "vqa" / f"{split}_questions.json",
                {"info": info, "task_type": "Open-Ended", "data_type": "shapes", "data_subtype": split,
                 "questions": questions_rows})
    _write_json(out / "vqa" / f"{split}_annotations.json",
                {"info": info, "data_type": "shapes", "data_subtype": split, "annotations": annotations})
    return len(questions_rows)
