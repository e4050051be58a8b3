"""Attribute binding of captions on Shapes scenes, and the caption phrasings it reads."""

from __future__ import annotations

import math

from mmzoo.data.shapes import Background, Obj, Scene, example, mentions
from mmzoo.eval.binding import binding_scores

PLAIN = Background("plain", (240, 240, 240), (240, 240, 240))
SCENE = Scene([Obj("triangle", "orange", "small", 30, 30), Obj("diamond", "blue", "large", 90, 90),
               Obj("circle", "red", "small", 30, 90)], PLAIN, 128)


def test_mentions_read_every_phrasing_of_the_world_in_order():
    assert mentions("a small square colored orange") == [("orange", "square")]
    assert mentions("a large red circle above a small blue square") == [("red", "circle"), ("blue", "square")]
    assert mentions("two red shapes and one blue shape") == []
    for index in range(40):  # every caption of the world that names a colour next to a shape is read
        e = example(0, index)
        for caption in e.captions:
            for colour, shape in mentions(caption):
                assert any(o.colour == colour and o.shape == shape for o in e.scene.objects), caption


def test_binding_counts_right_and_wrong_colours_and_shapes_the_scene_lacks():
    scores = binding_scores([
        ("an orange triangle, a blue diamond and a red circle", SCENE),  # all right
        ("a small orange diamond above a red circle", SCENE),  # the orange goes to the wrong object
        ("a green star", SCENE),  # no star here
    ])
    assert (scores.bound, scores.checked, scores.wrong_shape, scores.captions) == (4, 5, 1, 3)
    assert scores.to_dict()["binding"] == 0.8 and scores.wrong_captions == ["a small orange diamond above a red circle"]
    assert math.isnan(binding_scores([]).rate)
