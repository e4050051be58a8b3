"""Attribute binding of captions on Shapes scenes: is every colour a caption gives an object the colour
of an object of that shape in the scene?

A caption of a multi-object scene can name every colour and every shape of the scene and still
bind them wrongly ("an orange diamond" for an orange triangle beside a blue diamond); BLEU and CIDEr
barely see it. For each (colour, shape) the caption mentions (:func:`mmzoo.data.shapes.mentions`)
whose shape is in the scene, the binding is right when an object of that shape has that colour.
Mentions of a shape the scene lacks are counted apart (``wrong_shape``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from ..data.shapes import Scene, mentions


@dataclass
class BindingScores:
    bound: int = 0  # mentions whose colour is that of an object of that shape
    checked: int = 0  # mentions of a shape the scene has
    wrong_shape: int = 0  # mentions of a shape the scene lacks
    captions: int = 0
    wrong_captions: list[str] = field(default_factory=list)  # captions with a wrong binding, for the notes

    @property
    def rate(self) -> float:
        return self.bound / self.checked if self.checked else float("nan")

    def to_dict(self) -> dict[str, float]:
        total = self.checked + self.wrong_shape
        return {"binding": self.rate, "binding_mentions": float(self.checked),
                "wrong_shape_rate": self.wrong_shape / total if total else float("nan")}


def binding_scores(cases: Sequence[tuple[str, Scene]]) -> BindingScores:
    """Score (caption, scene) pairs; callers pass the multi-object scenes."""
    scores = BindingScores()
    for caption, scene in cases:
        scores.captions += 1
        colours_of: dict[str, set[str]] = {}
        for o in scene.objects:
            colours_of.setdefault(o.shape, set()).add(o.colour)
        wrong = False
        for colour, shape in mentions(caption):
            if shape not in colours_of:
                scores.wrong_shape += 1
                continue
            scores.checked += 1
            if colour in colours_of[shape]:
                scores.bound += 1
            else:
                wrong = True
        if wrong:
            scores.wrong_captions.append(caption)
    return scores
