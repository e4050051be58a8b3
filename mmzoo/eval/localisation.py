"""Sound-source localisation on Shapes scenes: does a matchmap's peak fall inside the object a caption names?

The heatmap of a spoken caption over its image is its matchmap pooled over time (each region's
mean similarity with the caption's frames, :func:`pooled_heatmap`). Its peak cell's centre, in image pixels, is a hit
when it lies inside the bounding box (centre +- circumscribed radius) of the object the caption
names. Scored on single-object scenes (every caption names the one object) and, separately, on
the captions of multi-object scenes that name exactly one object ("three shapes including a large
red cross"); captions naming several objects or none ("two blue shapes, one pink shape") are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..data.shapes import Obj, Scene, mentions, radius


def pooled_heatmap(matchmap: np.ndarray) -> np.ndarray:
    """A (frames, h, w) matchmap as one (h, w) heatmap: each region's mean similarity over the frames.
    (The mean, not the max: a caption's words about the background or the image's corners peak
    elsewhere for a moment; on Shapes test scenes the mean's peak is inside the named object more
    often, 0.97 against 0.91 of single-object captions.)"""
    return matchmap.mean(axis=0)


def named_objects(caption: str, scene: Scene) -> list[Obj]:
    """The scene's objects the caption names by colour and shape (each pair is unique in a scene)."""
    by_pair = {(o.colour, o.shape): o for o in scene.objects}
    named = dict.fromkeys(by_pair[m] for m in mentions(caption) if m in by_pair)
    return list(named)


def peak_inside(heat: np.ndarray, obj: Obj, canvas: int) -> bool:
    """Whether the centre of the hottest cell of ``heat`` (rows x cols over the whole image) is in the
    object's bounding box, in the ``canvas``-pixel scene."""
    rows, cols = heat.shape
    r, c = np.unravel_index(int(np.argmax(heat)), heat.shape)
    y, x = (r + 0.5) * canvas / rows, (c + 0.5) * canvas / cols
    half = radius(obj, canvas)
    return abs(x - obj.x) <= half and abs(y - obj.y) <= half


def box_fraction(obj: Obj, canvas: int, grid: tuple[int, int]) -> float:
    """The fraction of grid cells whose centres lie in the object's box: the hit rate of a random peak."""
    rows, cols = grid
    ys, xs = (np.arange(rows) + 0.5) * canvas / rows, (np.arange(cols) + 0.5) * canvas / cols
    half = radius(obj, canvas)
    return float(np.outer(abs(ys - obj.y) <= half, abs(xs - obj.x) <= half).mean())


@dataclass
class LocalisationScores:
    single: list[bool]  # one per caption of a single-object scene
    multi: list[bool]  # one per single-object caption of a multi-object scene
    chance: list[float]  # a random peak's hit rate, per single-object caption

    def to_dict(self) -> dict[str, float]:
        rate = lambda hits: float(np.mean(hits)) if hits else float("nan")  # noqa: E731
        return {"loc_hit_single": rate(self.single), "loc_hit_multi": rate(self.multi),
                "loc_chance_single": rate(self.chance)}


def score_localisation(cases: Sequence[tuple[str, Scene, np.ndarray]]) -> LocalisationScores:
    """Score (caption, scene, time-pooled heatmap) cases."""
    scores = LocalisationScores([], [], [])
    for caption, scene, heat in cases:
        named = named_objects(caption, scene)
        if len(named) != 1:
            continue
        hit = peak_inside(heat, named[0], scene.size)
        if len(scene.objects) == 1:
            scores.single.append(hit)
            scores.chance.append(box_fraction(named[0], scene.size, heat.shape))
        else:
            scores.multi.append(hit)
    return scores
