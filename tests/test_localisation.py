"""Localisation on Shapes scenes: which object a caption names, and whether a heatmap's peak is inside it."""

from __future__ import annotations

import numpy as np
import pytest

from mmzoo.data.shapes import Background, Obj, Scene, example, radius
from mmzoo.eval.localisation import box_fraction, named_objects, peak_inside, score_localisation

PLAIN = Background("plain", (240, 240, 240), (240, 240, 240))
RED_CIRCLE, BLUE_SQUARE = Obj("circle", "red", "large", 32, 32), Obj("square", "blue", "small", 96, 96)
TWO = Scene([RED_CIRCLE, BLUE_SQUARE], PLAIN, 128)


def test_named_objects_are_found_by_colour_and_shape_with_or_without_a_size():
    assert named_objects("a large red circle above a small blue square", TWO) == [RED_CIRCLE, BLUE_SQUARE]
    assert named_objects("two shapes including a small blue square", TWO) == [BLUE_SQUARE]
    assert named_objects("one red shape and one blue shape", TWO) == []
    assert named_objects("a green circle", TWO) == []  # not in the scene


def test_every_caption_of_a_single_object_scene_names_its_object():
    singles = [e for e in (example(0, i) for i in range(60)) if len(e.scene.objects) == 1]
    assert singles
    for e in singles:
        named = [c for c in e.captions if named_objects(c, e.scene) == e.scene.objects]
        assert len(named) >= 3, e.captions


def heat_at(x: float, y: float, grid: int = 8, canvas: int = 128) -> np.ndarray:
    heat = np.zeros((grid, grid))
    heat[int(y / canvas * grid), int(x / canvas * grid)] = 1.0
    return heat


def test_a_peak_counts_inside_the_named_objects_box_only():
    assert peak_inside(heat_at(RED_CIRCLE.x, RED_CIRCLE.y), RED_CIRCLE, 128)
    assert not peak_inside(heat_at(BLUE_SQUARE.x, BLUE_SQUARE.y), RED_CIRCLE, 128)
    half = radius(RED_CIRCLE, 128)
    assert not peak_inside(heat_at(RED_CIRCLE.x + half + 10, RED_CIRCLE.y), RED_CIRCLE, 128)


def test_scores_split_single_and_multi_object_scenes_and_give_the_chance_rate():
    single = Scene([RED_CIRCLE], PLAIN, 128)
    cases = [("a red circle", single, heat_at(32, 32)), ("a big red circle", single, heat_at(100, 100)),
             ("two shapes including a small blue square", TWO, heat_at(96, 96)),
             ("a red circle and a blue square", TWO, heat_at(0, 0))]  # names two objects: left out
    scores = score_localisation(cases)
    assert (scores.single, scores.multi) == ([True, False], [True])
    chance = box_fraction(RED_CIRCLE, 128, (8, 8))
    assert 0 < chance < 0.25 and scores.to_dict()["loc_chance_single"] == pytest.approx(chance)
    assert scores.to_dict()["loc_hit_single"] == 0.5
