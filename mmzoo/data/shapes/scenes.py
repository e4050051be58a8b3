"""Scenes: the shapes, colours and sizes, and random scenes of 1-4 shapes on a light background
(the wild world's scenes also on dark and busy ones, with their shapes scaled).

Coordinates are pixels, ``y`` grows downwards, and ``x``/``y`` are a shape's centre.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

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
#: Colour-shape pairs a generative model trained on Shapes never sees named in training, so its
#: evaluation can report how it draws combinations it was not shown (one per colour and shape).
HELD_OUT_PAIRS = (("red", "star"), ("blue", "triangle"), ("green", "hexagon"), ("yellow", "diamond"))
RADIUS = {"small": 0.085, "large": 0.15}  # circumscribed radius as a fraction of the canvas side


@dataclass(frozen=True)
class Obj:
    """One shape: its attributes, centre in pixels, and a small drawing rotation in degrees."""

    shape: str
    colour: str
    size: str
    x: int
    y: int
    angle: float = 0.0
    scale: float = 1.0  # the wild world's zoom: every shape of a scene drawn this much larger


@dataclass(frozen=True)
class Background:
    """A light background: ``plain``, ``gradient`` (``colour`` to ``colour2``) or ``noise``; in the wild
    world also ``dark`` (a plain dark one) and ``busy`` (light, with grey clutter drawn over it)."""

    kind: str
    colour: tuple[int, int, int]
    colour2: tuple[int, int, int]
    direction: str = "vertical"  # gradients: vertical, horizontal or diagonal
    seed: int = 0  # noise

    @property
    def description(self) -> str:
        return {"plain": "light", "gradient": "light gradient", "noise": "light noisy", "dark": "dark",
                "busy": "busy"}[self.kind]


@dataclass
class Scene:
    objects: list[Obj]
    background: Background
    size: int = 128


def radius(obj: Obj, canvas: int) -> float:
    return RADIUS[obj.size] * obj.scale * canvas


def random_scene(rng: np.random.Generator, size: int = 128, scale: float = 1.0,
                 background: Background | None = None) -> Scene:
    """1-4 shapes with distinct (colour, shape) pairs, placed without overlap, on a light background
    (or ``background``), each ``scale`` times its size's radius."""
    count = int(rng.integers(1, 5))
    pairs = rng.choice(len(SHAPES) * len(COLOURS), size=count, replace=False)
    colour_names = list(COLOURS)
    objects: list[Obj] = []
    for pair in pairs:
        shape, colour = SHAPES[pair // len(COLOURS)], colour_names[pair % len(COLOURS)]
        obj_size = SIZES[int(rng.integers(2))]
        angle = 0.0 if shape == "circle" else round(float(rng.uniform(-10, 10)), 1)
        spot = _free_spot(rng, objects, RADIUS[obj_size] * scale * size, size)
        if spot is not None:  # a crowded canvas drops the shape rather than overlapping it
            objects.append(Obj(shape, colour, obj_size, spot[0], spot[1], angle, scale))
    return Scene(objects, background or _random_background(rng), size)


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


def _pick(rng: np.random.Generator, items: Sequence[Any]) -> Any:
    """One of ``items``, drawn from ``rng`` (questions, speech and OCR pages draw with it too)."""
    return items[int(rng.integers(len(items)))]
