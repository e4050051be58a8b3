"""The Shapes diffusion model: a tiny random checkpoint through the text2image interface (three
modes, seeds, progress, stop, bounds), and its recipe (a short run lowers the loss and resumes)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from PIL import Image

from mmzoo.errors import Cancelled, InvalidInput, WeightsUnavailable
from mmzoo.tasks.text2image import TextToImageTask
from mmzoo.train import RunFolder, fit
from mmzoo_diffusers.shapes import ShapesDiffusion, ShapesDiffusionModel, unet_config
from mmzoo_diffusers.shapes_train import ShapesDiffusionRecipe, TrainConfig, prompt_of, training_scenes

torch.set_num_threads(1)
TINY = unet_config((32, 64), fold=4)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("shapes-diffusion")
    ShapesDiffusion(TINY).save(folder)
    return ShapesDiffusionModel(weights=folder, device="cpu")


def run(model, *args, **kwargs):
    return TextToImageTask().run(model, *args, **kwargs)


def pixels(image):
    return np.asarray(image, dtype=np.int16)


def test_a_seed_gives_the_same_image_alone_or_in_a_batch(tiny):
    alone = run(tiny, "a red circle", seed=5, steps=4)
    batch = run(tiny, "a red circle", seed=4, num_images=2, steps=4)
    assert alone.image.size == (64, 64) and [r.seed for r in batch] == [4, 5]
    # the same image (a batch sums floats in another order: a pixel may round one level apart)
    assert np.abs(pixels(batch[1].image) - pixels(alone.image)).max() <= 1
    assert np.array_equal(pixels(run(tiny, "a red circle", seed=5, steps=4).image), pixels(alone.image))  # repeated
    assert np.abs(pixels(batch[0].image) - pixels(batch[1].image)).max() > 10
    assert alone.parameters["steps"] == 4 and alone.parameters["scheduler"] == "DDIM"


def test_edit_and_inpaint_keep_the_input_where_they_should(tiny):
    original = Image.new("RGB", (96, 80), (200, 220, 240))
    mask = Image.new("L", (96, 80), 0)
    mask.paste(255, (20, 20, 60, 60))
    edited = run(tiny, "a blue star", image=original, seed=1, steps=4, strength=0.5)
    assert edited.mode == "edit" and edited.image.size == (96, 80)
    painted = run(tiny, "a blue star", image=original, mask=mask, seed=1, steps=4)
    outside = pixels(mask) == 0
    assert painted.mode == "inpaint" and np.array_equal(pixels(painted.image)[outside], pixels(original)[outside])
    assert not np.array_equal(pixels(painted.image)[~outside], pixels(original)[~outside])


def test_progress_is_reported_each_step_and_stop_cancels(tiny):
    calls = []
    run(tiny, ["a red circle", "a green square"], seed=0, steps=3, progress=lambda s, n: calls.append((s, n)))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled, match="stopped after 0 of 3"):
        run(tiny, "a red circle", steps=3, stop=stop)
    assert run(tiny, "a red circle", steps=2, seed=0).image.size == (64, 64)  # still works


def test_bad_options_are_refused_before_any_work(tiny):
    for options in ({"steps": 0}, {"guidance_scale": float("nan")}, {"strength": 2}, {"scheduler": "Euler a"}):
        with pytest.raises(InvalidInput):
            run(tiny, "a red circle", **options)
    with pytest.raises(WeightsUnavailable, match="mmzoo train text2image"):
        ShapesDiffusionModel(weights="/nonexistent/run/best")


def test_training_scenes_hold_no_held_out_pair_and_prompts_name_every_object():
    from mmzoo.data.shapes import HELD_OUT_PAIRS

    scenes = training_scenes(300, seed=2)
    assert all(1 <= len(s.objects) <= 2 for s in scenes)
    assert not any((o.colour, o.shape) in HELD_OUT_PAIRS for s in scenes for o in s.objects)
    scene = next(s for s in scenes if len(s.objects) == 2)
    prompt = prompt_of(scene, [0.9, 0.2, 0.5])
    assert all(f"{o.colour} {o.shape}" in prompt for o in scene.objects) and " and " in prompt
    assert prompt_of(scene, [0.9, 0.2, 0.05]) == ""  # dropped for classifier-free guidance


def test_the_recipe_lowers_the_loss_and_resumes(tmp_path):
    torch.manual_seed(0)
    scenes = training_scenes(96, seed=1)
    config = TrainConfig(epochs=1, batch_size=16, lr=1e-3, device="cpu")
    first = fit(ShapesDiffusionRecipe(ShapesDiffusion(TINY), scenes, torch.device("cpu"), validation=16), config,
                tmp_path, progress=False)
    config = TrainConfig(**{**config.__dict__, "epochs": 3})
    history = fit(ShapesDiffusionRecipe(ShapesDiffusion(TINY), scenes, torch.device("cpu"), validation=16), config,
                  tmp_path, progress=False)
    assert history[:1] == first and history[-1]["loss"] < history[0]["loss"]
    assert (tmp_path / "epoch-3" / "samples.png").is_file() and len(RunFolder(tmp_path).history()) == 3
    model = ShapesDiffusionModel(weights=tmp_path / "best", device="cpu")
    assert run(model, "a red circle", seed=0, steps=2).image.size == (64, 64)


def test_the_shipped_default_draws_what_it_is_asked():
    """A quick guard of the shipped weights and their loading: 16 single-object prompts, judged."""
    import mmzoo
    from mmzoo.eval.judge import ShapesJudge
    from mmzoo.eval.text2image import cases

    group = cases(per_pair=1, seed=2)["single"][::3][:16]  # every colour, most shapes
    results = mmzoo.run("text2image", [c.prompt for c in group], seed=0)
    verdicts = ShapesJudge()([r.image for r in results])
    truth = [c.scene.objects[0] for c in group]
    assert np.mean([v.colour == o.colour for v, o in zip(verdicts, truth)]) >= 0.9
    assert np.mean([v.shape == o.shape for v, o in zip(verdicts, truth)]) >= 0.6  # 0.84 on 104 images
