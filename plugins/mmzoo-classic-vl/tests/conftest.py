"""This plugin's fixtures: a tiny Shapes world for training, and held-out single-object scenes."""

from __future__ import annotations

import pytest
import torch

from mmzoo.data import shapes

# The test machines are small and shared: one intra-op thread avoids oversubscription stalls.
torch.set_num_threads(1)

HELD_OUT_SEED = 7  # never used for training (the shipped models saw seed 0)


@pytest.fixture(scope="session")
def world(shapes_world):
    return shapes_world(n=120, seed=3)


@pytest.fixture(scope="session")
def single_objects():
    """Ten held-out scenes with exactly one shape: (image, colour, shape)."""
    scenes = []
    index = 0
    while len(scenes) < 10:
        scene = shapes.example(HELD_OUT_SEED, index).scene
        if len(scene.objects) == 1:
            scenes.append((shapes.render(scene), scene.objects[0].colour, scene.objects[0].shape))
        index += 1
    return scenes
