"""Rendering: a scene as an anti-aliased RGB image."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from ...errors import InvalidInput
from .scenes import COLOURS, SHAPES, Background, Scene, radius

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
