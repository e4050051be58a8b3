"""One scene end to end: its objects, captions, questions and spoken captions, from its seed alone."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .language import captions
from .scenes import Scene, random_scene
from .speech import Speech, draw_speech
from .vqa import QA, questions


@dataclass
class Example:
    """Everything scene ``index`` of a world with this seed holds, except the rendered media."""

    scene: Scene
    captions: list[str]
    questions: list[QA]
    speech: list[Speech]  # every caption, each in a training voice
    unheard: list[Speech]  # every caption again, in voices of the held-out family


def example(seed: int, index: int, image_size: int = 128) -> Example:
    """Scene ``index`` of the world with ``seed``: the same whatever ``n`` and ``workers`` are."""
    rng = np.random.default_rng([seed, index])
    scene = random_scene(rng, image_size)
    caps = captions(scene, rng)
    qas = questions(scene, rng)
    speech = [draw_speech(rng, c) for c in caps]
    unheard = [draw_speech(rng, c, unheard=True) for c in caps]
    return Example(scene, caps, qas, speech, unheard)
