"""One scene end to end: its objects, captions, questions and spoken caption, from its seed alone."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .language import captions
from .scenes import Scene, _pick, random_scene
from .speech import VOICES, Speech
from .vqa import QA, questions


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
