"""Rendering: a scene as an anti-aliased RGB image, its shapes drawn in one of the :data:`STYLES`."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from ...errors import InvalidInput
from .scenes import COLOURS, SHAPES, Background, Scene, radius

SUPERSAMPLE = 2  # shapes are drawn at 2x and box-filtered down, which anti-aliases their edges
#: How shapes are drawn: solid (the plain world's only style), a coloured outline on the background,
#: a two-tone stripe texture of the colour, or shaded lighter to darker as if lit from the top left.
STYLES = ("filled", "outline", "textured", "shaded")


def render(scene: Scene, style: str = "filled") -> Image.Image:
    """The scene as a ``size`` x ``size`` RGB image, its shapes drawn in ``style``."""
    if style not in STYLES:
        raise InvalidInput(f"unknown drawing style {style!r}; use one of {', '.join(STYLES)}")
    big = scene.size * SUPERSAMPLE
    image = Image.fromarray(_background_pixels(scene.background, scene.size)).resize((big, big), Image.NEAREST)
    draw = ImageDraw.Draw(image)
    for obj in scene.objects:
        cx, cy = (obj.x + 0.5) * SUPERSAMPLE, (obj.y + 0.5) * SUPERSAMPLE  # pixel centre at 2x
        r = radius(obj, scene.size) * SUPERSAMPLE
        fill = COLOURS[obj.colour]
        if style == "filled":
            _draw_shape(draw, obj, cx, cy, r, fill=fill)
        elif style == "outline":
            _draw_shape(draw, obj, cx, cy, r, outline=fill, width=max(2, round(0.14 * r)))
        else:
            mask = Image.new("L", image.size)
            _draw_shape(ImageDraw.Draw(mask), obj, cx, cy, r, fill=255)
            image.paste(Image.fromarray(_paint(style, fill, cx, cy, r, big)), mask=mask)
    return image.reduce(SUPERSAMPLE)


def _draw_shape(draw: ImageDraw.ImageDraw, obj, cx: float, cy: float, r: float, **ink) -> None:
    if obj.shape == "circle":
        draw.ellipse((cx - 0.85 * r, cy - 0.85 * r, cx + 0.85 * r, cy + 0.85 * r), **ink)
    else:
        draw.polygon(_outline(obj.shape, cx, cy, r, obj.angle), **ink)


def _paint(style: str, colour: tuple[int, int, int], cx: float, cy: float, r: float, size: int) -> np.ndarray:
    """A canvas-sized layer of ``colour`` textured or shaded about a shape at (cx, cy) of radius r."""
    ys, xs = np.mgrid[0:size, 0:size].astype(float)
    base = np.array(colour, float)
    if style == "textured":  # diagonal stripes, the colour and a lighter tint of it
        stripe = (((xs + ys) / max(r / 3, 2)).astype(int) % 2)[..., None]
        pixels = np.where(stripe == 1, base, 0.6 * base + 0.4 * 255)
    else:  # shaded: lighter at the top left, darker at the bottom right, the colour in between
        t = np.clip(((xs - cx) + (ys - cy)) / (2 * r), -1, 1)[..., None]
        pixels = np.where(t < 0, base + (255 - base) * 0.35 * -t, base * (1 - 0.3 * t))
    return np.clip(np.round(pixels), 0, 255).astype(np.uint8)


def _background_pixels(background: Background, size: int) -> np.ndarray:
    start, end = np.array(background.colour, float), np.array(background.colour2, float)
    ys, xs = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    t = {"vertical": ys, "horizontal": xs, "diagonal": (xs + ys) / 2}[background.direction]
    pixels = start + (end - start) * t[..., None]
    if background.kind == "noise":
        pixels += np.random.default_rng(background.seed).normal(0, 6, pixels.shape)
    pixels = np.clip(np.round(pixels), 0, 255).astype(np.uint8)
    if background.kind == "busy":
        pixels = _clutter(pixels, background.seed)
    return pixels


def _clutter(pixels: np.ndarray, seed: int) -> np.ndarray:
    """Grey lines and rings over a light background: clutter in no colour of the palette."""
    rng, size = np.random.default_rng(seed), len(pixels)
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(8, 16))):
        grey = int(rng.integers(120, 200))
        x0, y0, x1, y1 = (int(v) for v in rng.integers(0, size, 4))
        if rng.random() < 0.5:
            draw.line((x0, y0, x1, y1), fill=(grey, grey, grey), width=int(rng.integers(1, 3)))
        else:
            reach = int(rng.integers(3, max(4, size // 8)))
            draw.ellipse((x0 - reach, y0 - reach, x0 + reach, y0 + reach), outline=(grey, grey, grey))
    return np.asarray(image)


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
