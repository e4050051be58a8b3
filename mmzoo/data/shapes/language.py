"""Language: the phrases that captions and questions share, and the captions themselves."""

from __future__ import annotations

from collections import Counter
from typing import Callable, Sequence

import re

import numpy as np

from ...errors import InvalidInput
from .scenes import COLOURS, SHAPES, Obj, Scene

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five")


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


def mentions(caption: str) -> list[tuple[str, str]]:
    """The (colour, shape) pairs a caption names, in order: "a red circle", "a large red circle", "a
    small square colored orange" (the phrasings of this module; "two red shapes" names no shape)."""
    colours, shapes, sizes = "|".join(COLOURS), "|".join(SHAPES), "small|large|big"
    before = rf"\b({colours}) (?:(?:{sizes}) )?({shapes})\b"
    after = rf"\b({shapes}) colou?red ({colours})\b"
    found = [(m.start(), m.group(1), m.group(2)) for m in re.finditer(before, caption.lower())]
    found += [(m.start(), m.group(2), m.group(1)) for m in re.finditer(after, caption.lower())]
    return [(colour, shape) for _, colour, shape in sorted(found)]


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
