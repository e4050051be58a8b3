"""The Stable Diffusion wrapper on a tiny random pipeline, through ``mmzoo.run``: the three modes from one
set of weights, seeds, progress, stop, schedulers, option bounds and the parameters each image records."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

import mmzoo
from mmzoo.errors import Cancelled, InvalidInput
from mmzoo_diffusers import schedulers

torch.set_num_threads(1)
FAST = {"steps": 3}


def pixels(image) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


def same(a, b) -> bool:
    """Equal images, up to float rounding: a batched matmul may round differently from a single one, so a
    pixel here and there may be off by one level (measured: 1 pixel of 12,288 in one of four images)."""
    diff = np.abs(pixels(a) - pixels(b))
    return diff.max() <= 1 and (diff > 0).mean() < 1e-3


def run(sd, *args, **kwargs):
    return mmzoo.run("text2image", *args, model=sd, **kwargs)


def test_three_modes_share_one_set_of_components(sd):
    generate, edit, inpaint = (sd._pipes[m] for m in ("generate", "edit", "inpaint"))
    assert sd.modes == ("generate", "edit", "inpaint")
    assert [type(p).__name__ for p in (generate, edit, inpaint)] == [
        "StableDiffusionPipeline", "StableDiffusionImg2ImgPipeline", "StableDiffusionInpaintPipeline"]
    for name in ("unet", "vae", "text_encoder", "tokenizer"):
        assert getattr(edit, name) is getattr(generate, name) and getattr(inpaint, name) is getattr(generate, name)
    assert next(generate.unet.parameters()).dtype == torch.float32 and sd.device == "cpu"


def test_generate_edit_and_inpaint(sd, photo, mask):
    made = run(sd, "a red circle", seed=1, **FAST)
    assert made.mode == "generate" and made.image.size == (64, 64) and made.seed == 1
    assert made.parameters == {"model": "text2image/sd-1.5", "revision": None, "steps": 3, "guidance_scale": 7.5,
                               "scheduler": "PNDM", "negative_prompt": None, "width": 64, "height": 64,
                               "safety_checker": False}
    edited = run(sd, "a blue square", image=photo, seed=1, strength=0.5, steps=4)
    assert edited.mode == "edit" and edited.image.size == (64, 64) and edited.parameters["strength"] == 0.5
    inpainted = run(sd, "a green star", image=photo, mask=mask, seed=1, **FAST)
    assert inpainted.mode == "inpaint" and inpainted.image.size == (64, 64)
    assert inpainted.parameters["strength"] == 0.75
    # the unmasked half comes back close to the input (only the VAE round trip changes it); the masked half does not
    keep = np.abs(pixels(inpainted.image)[:, :32] - pixels(photo)[:, :32]).mean()
    repaint = np.abs(pixels(inpainted.image)[:, 32:] - pixels(photo)[:, 32:]).mean()
    assert keep < repaint


def test_a_seed_gives_the_same_image_alone_or_in_a_batch(sd, photo):
    batch = run(sd, ["a red circle", "a blue square"], seed=10, num_images=2, **FAST)
    assert [r.seed for r in batch] == [10, 11, 12, 13]
    for i, result in enumerate(batch):
        assert same(run(sd, result.prompt, seed=10 + i, **FAST).image, result.image)
    assert np.abs(pixels(batch[0].image) - pixels(batch[1].image)).mean() > 5  # seeds 10 and 11 differ
    again = run(sd, "a red circle", seed=10, **FAST)
    assert np.array_equal(pixels(again.image), pixels(run(sd, "a red circle", seed=10, **FAST).image))
    edits = run(sd, "a red circle", image=photo, seed=3, num_images=2, **FAST)
    assert same(run(sd, "a red circle", image=photo, seed=4, **FAST).image, edits[1].image)


def test_progress_is_called_once_per_step(sd, photo):
    calls = []
    run(sd, "a red circle", seed=0, steps=5, scheduler="DDIM", progress=lambda step, total: calls.append((step, total)))
    assert calls == [(i, 5) for i in range(1, 6)]
    calls.clear()  # an edit runs strength x steps of them
    run(sd, "a red circle", image=photo, seed=0, steps=8, strength=0.5, scheduler="DDIM",
        progress=lambda step, total: calls.append((step, total)))
    assert calls == [(i, 4) for i in range(1, 5)]


def test_stop_cancels_and_the_model_still_works(sd):
    stop = threading.Event()
    seen = []

    def progress(step, total):
        seen.append(step)
        if step == 2:
            stop.set()

    with pytest.raises(Cancelled, match="stopped after step 2"):
        run(sd, "a red circle", seed=0, steps=10, progress=progress, stop=stop)
    assert seen == [1, 2]
    with pytest.raises(Cancelled, match="before the first step"):
        run(sd, "a red circle", seed=0, stop=stop, **FAST)
    after = run(sd, "a red circle", seed=0, **FAST)
    assert np.array_equal(pixels(after.image), pixels(run(sd, "a red circle", seed=0, **FAST).image))


@pytest.mark.parametrize("name", [n for n in schedulers.NAMES if n != schedulers.DEFAULT])
def test_every_scheduler_by_name(sd, name):
    result = run(sd, "a red circle", seed=0, steps=2, scheduler=name)
    assert result.parameters["scheduler"] == name and result.image.size == (64, 64)


def test_options_change_the_image_and_are_recorded(sd):
    plain = run(sd, "a red circle", seed=0, **FAST)
    negative = run(sd, "a red circle", seed=0, negative_prompt="blue", **FAST)
    assert negative.parameters["negative_prompt"] == "blue"
    assert not np.array_equal(pixels(plain.image), pixels(negative.image))
    wide = run(sd, "a red circle", seed=0, width=128, height=64, guidance_scale=1.0, **FAST)
    assert wide.image.size == (128, 64) and (wide.parameters["width"], wide.parameters["height"]) == (128, 64)


@pytest.mark.parametrize("options, message", [
    ({"steps": 0}, "steps"), ({"steps": 151}, "steps"), ({"guidance_scale": 31}, "guidance_scale"),
    ({"guidance_scale": -1}, "guidance_scale"), ({"strength": 1.5}, "strength"), ({"width": 100}, "multiple of 8"),
    ({"height": 32}, "height must be 64-2048"), ({"width": 2056}, "width"), ({"scheduler": "Heun"}, "'Euler a'"),
    ({"negative_prompt": ["a", "b"]}, "negative_prompt"), ({"sampler": "DDIM"}, "no option 'sampler'"),
])
def test_bad_options_are_invalid_input_before_any_work(sd, options, message):
    calls = []
    with pytest.raises(InvalidInput, match=message):
        run(sd, "a red circle", seed=0, progress=lambda *a: calls.append(a), **options)
    assert calls == []


def test_edit_sizes(sd, photo):
    with pytest.raises(InvalidInput, match="no denoising step"):
        run(sd, "x", image=photo, seed=0, steps=2, strength=0.2)
    odd = photo.resize((70, 90))  # rounded down to 64 x 88
    assert run(sd, "x", image=odd, seed=0, **FAST).image.size == (64, 88)
    assert run(sd, "x", image=odd, seed=0, width=96, height=64, **FAST).image.size == (96, 64)
    with pytest.raises(InvalidInput, match="share a size"):
        sd.generate(["x", "y"], seeds=[0, 1], images=[photo, odd], **FAST)


def test_dtype_option(sd_folder):
    bf16 = mmzoo.load("text2image/sd-1.5", weights=sd_folder, device="cpu", dtype="bfloat16")
    assert {next(p.unet.parameters()).dtype for p in bf16._pipes.values()} == {torch.bfloat16}  # from_pipe kept it
    assert run(bf16, "a red circle", seed=0, steps=2).image.size == (64, 64)
    with pytest.raises(InvalidInput, match="CUDA only"):
        mmzoo.load("text2image/sd-1.5", weights=sd_folder, device="cpu", dtype="float16")
    with pytest.raises(InvalidInput, match="dtype"):
        mmzoo.load("text2image/sd-1.5", weights=sd_folder, device="cpu", dtype="int8")
