"""Questions: VQA v2-style question/answer pairs about a scene, each answer a single word.

"A is left of B" means A's centre is further left by more than a small margin (CLEVR-style), and
pairs within the margin on an axis are never asked about on that axis.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .language import _a, _noun, _plural, _the
from .scenes import COLOURS, SHAPES, Obj, Scene, _pick


@dataclass(frozen=True)
class QA:
    question: str
    answer: str
    question_type: str
    answer_type: str  # "yes/no", "number" or "other", as in VQA v2


def _margin(scene: Scene) -> float:
    return 0.04 * scene.size


def questions(scene: Scene, rng: np.random.Generator) -> list[QA]:
    """6-10 questions with single-word answers: counts, colours, shapes, sizes, existence, relations.

    Existence questions come as one yes and one no per scene; relation yes/no answers are
    yes half of the time. Colour and shape questions are asked only about unique referents.
    """
    families = (_count_questions, _colour_question, _shape_question, _size_question,
                _existence_questions, _relation_question, _relative_colour_question)
    return [qa for family in families for qa in family(scene, rng)]


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
