"""One scene end to end: its objects, captions, questions and spoken captions, from its seed alone."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .language import captions
from .scenes import Scene, random_scene
from .speech import Speech, draw_speech
from .variety import Look, check_variety, draw_look, wild_questions
from .vqa import QA, questions


@dataclass
class Example:
    """Everything scene ``index`` of a world with this seed holds, except the rendered media."""

    scene: Scene
    captions: list[str]
    questions: list[QA]
    speech: list[Speech]  # every caption, each in a training voice
    unheard: list[Speech]  # every caption again, in voices of the held-out family
    look: Look | None = None  # a wild world's: how the scene is drawn
    held_out_questions: list[QA] | None = None  # a wild world's, for its held-out split


def example(seed: int, index: int, image_size: int = 128, variety: str = "plain") -> Example:
    """Scene ``index`` of the world with ``seed`` and ``variety``: the same whatever ``n`` and
    ``workers`` are. A plain scene draws everything from ``[seed, index]``; a wild one draws its look
    and phrasings from ``[seed, index, 2]`` (see :mod:`.variety`)."""
    check_variety(variety)
    rng = np.random.default_rng([seed, index])
    look = draw_look(wild := np.random.default_rng([seed, index, 2])) if variety == "wild" else None
    scene = random_scene(rng, image_size) if look is None else \
        random_scene(rng, image_size, scale=look.scale, background=look.background)
    caps = captions(scene, rng)
    qas = questions(scene, rng)
    speech = [draw_speech(rng, c) for c in caps]
    unheard = [draw_speech(rng, c, unheard=True) for c in caps]
    if look is None:
        return Example(scene, caps, qas, speech, unheard)
    qas, held_out = wild_questions(qas, scene, wild)
    return Example(scene, caps, qas, speech, unheard, look, held_out)
