"""The text2image task's own behaviour, with test doubles: re-ranking, the PNG parameters chunk and
reading it back, numbered outputs and step progress on the command line, and the masked metrics."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import mmzoo
from mmzoo.eval.image import masked_errors
from mmzoo.tasks.generation_parameters import infotext, parse_infotext, read_parameters
from mmzoo.tasks.text2image import GeneratedImage, TextToImageModel
from mmzoo.testing import mmzoo_cli
from mmzoo.testing.doubles import COLOURS, DoublesPlugin


class SeedPainter(TextToImageModel):
    """Image i is painted red, green or blue by its seed (0, 1, 2, ...), whatever the prompt says."""

    modes = ("generate",)

    def generate(self, prompts, *, seeds, steps: int = 10):
        names = list(COLOURS)
        return [GeneratedImage(Image.new("RGB", (16, 16), COLOURS[names[s % 3]]), p, "generate", s,
                               {"model": "seed-painter", "steps": steps, "scheduler": "DDIM", "width": 16,
                                "height": 16}) for p, s in zip(prompts, seeds)]


def test_rerank_returns_each_prompts_images_best_first_with_their_scores(register_plugin):
    register_plugin(DoublesPlugin(), "doubles")
    results = mmzoo.run("text2image", ["something blue", "something red"], model=SeedPainter(), seed=0, num_images=3,
                        rerank_with="retrieve/colour")
    assert [r.prompt for r in results] == ["something blue"] * 3 + ["something red"] * 3
    assert [r.seed for r in results[:3]][0] == 2 and results[3].seed == 3  # blue is seed 2; red is seed 3 (3 % 3 = 0)
    for group in (results[:3], results[3:]):
        scores = [r.score for r in group]
        assert scores == sorted(scores, reverse=True) and scores[0] > scores[1]
        assert all(0 <= s <= 2.5 for s in scores)  # CLIPScore: 2.5 x max(cos, 0)
    unranked = mmzoo.run("text2image", "something blue", model=SeedPainter(), seed=0, num_images=3)
    assert [r.seed for r in unranked] == [0, 1, 2] and all(r.score is None for r in unranked)


def test_rerank_needs_a_retrieval_model(register_plugin):
    register_plugin(DoublesPlugin(), "doubles")
    with pytest.raises(mmzoo.InvalidInput, match="re-ranking needs a retrieval model"):
        mmzoo.run("text2image", "a blue", model=SeedPainter(), rerank_with="caption/colour")
    with pytest.raises(mmzoo.UnknownModel, match="unknown model 'retrieve/nope'"):
        mmzoo.run("text2image", "a blue", model=SeedPainter(), rerank_with="retrieve/nope")


def test_a_saved_png_carries_its_parameters_and_they_make_it_again(tmp_path):
    result = mmzoo.run("text2image", "a red, round thing", model=SeedPainter(), seed=4, steps=7)
    path = result.save(tmp_path / "out.png")
    chunk = Image.open(path).info["parameters"]
    assert chunk.splitlines() == ["a red, round thing",
                                  "Steps: 7, Sampler: DDIM, Seed: 4, Size: 16x16, Model: seed-painter"]
    read = read_parameters(path)
    assert read == {"prompt": "a red, round thing", "steps": 7, "scheduler": "DDIM", "seed": 4, "width": 16,
                    "height": 16, "model": "seed-painter"}
    again = mmzoo.run("text2image", read["prompt"], model=SeedPainter(), seed=read["seed"], steps=read["steps"])
    assert np.array_equal(np.asarray(again.image), np.asarray(Image.open(path)))
    assert read_parameters(Image.new("RGB", (4, 4))) == {}


def test_infotext_reads_what_the_web_uis_write():
    text = ('masterpiece, a cat\nwith a hat\nNegative prompt: blurry, dark\nSteps: 20, Sampler: DPM++ 2M Karras, '
            'CFG scale: 7, Seed: 3, Size: 512x768, Model hash: abc123, Model: v1-5, Lora hashes: "x: 1, y: 2"')
    read = parse_infotext(text)
    assert read["prompt"] == "masterpiece, a cat\nwith a hat" and read["negative_prompt"] == "blurry, dark"
    assert (read["steps"], read["scheduler"], read["guidance_scale"], read["seed"]) == (20, "DPM++ 2M Karras", 7.0, 3)
    assert (read["width"], read["height"], read["model"]) == (512, 768, "v1-5")
    assert read["Model hash"] == "abc123" and read["Lora hashes"] == "x: 1, y: 2"  # unknown keys kept as written


@pytest.mark.parametrize("prompt,negative,scheduler", [
    ("a red circle", None, "Euler a"), ("ein rotes Quadrat, groß", 'no "quotes": none', "DPM++ 2M"),
    ("一个红色的圆", "模糊", "DDIM"), ("two\nlines", "a, b", "LMS"),
])
def test_infotext_round_trips(prompt, negative, scheduler):
    parameters = {"model": "text2image/sd-1.5", "revision": "451f4fe", "steps": 30, "guidance_scale": 7.5,
                  "scheduler": scheduler, "negative_prompt": negative, "width": 512, "height": 512, "strength": 0.6}
    read = parse_infotext(infotext(prompt, 123, "edit", parameters))
    expected = {"prompt": prompt, "seed": 123, **{k: v for k, v in parameters.items() if v is not None}}
    assert read == expected


def test_cli_writes_numbered_pngs_with_parameters_and_shows_step_progress(tmp_path, monkeypatch):
    out = tmp_path / "out.png"
    done = mmzoo_cli(None, "run", "text2image", "a small red circle", "-o", out, "--seed", 3, "--num-images", 2,
                     "-O", "steps=3", timeout=300)
    assert done.returncode == 0, done.stderr
    written = [tmp_path / "out-0.png", tmp_path / "out-1.png"]
    assert all(p.is_file() for p in written) and not out.exists()
    assert [read_parameters(p)["seed"] for p in written] == [3, 4]
    assert read_parameters(written[0])["steps"] == 3 and read_parameters(written[0])["model"] == "text2image/shapes-diffusion"
    assert "3/3" in done.stderr and "step" in done.stderr  # the tqdm bar of denoising steps
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (0, 0, 32, 64))
    mask.save(tmp_path / "mask.png")
    done = mmzoo_cli(None, "run", "text2image", "a blue square", "--image", written[0], "--mask", tmp_path / "mask.png",
                     "-o", tmp_path / "inpainted.png", "--seed", 1, "-O", "steps=3", timeout=300)
    assert done.returncode == 0, done.stderr
    before, after = (np.asarray(Image.open(p).convert("RGB")) for p in (written[0], tmp_path / "inpainted.png"))
    assert np.array_equal(before[:, 32:], after[:, 32:]) and not np.array_equal(before[:, :32], after[:, :32])
    assert "Mode: inpaint" in Image.open(tmp_path / "inpainted.png").info["parameters"]


def test_masked_errors_split_the_image_at_the_mask():
    original = Image.new("RGB", (32, 32), (200, 200, 200))
    changed = original.copy()
    changed.paste((0, 0, 0), (0, 0, 16, 32))
    mask = Image.new("L", (32, 32), 0)
    mask.paste(255, (0, 0, 16, 32))
    errors = masked_errors(original, changed, mask)
    assert errors["l1_out"] == 0 and errors["psnr_out"] == float("inf")
    assert errors["l1_in"] == pytest.approx(200 / 255) and errors["psnr_in"] < 10 and errors["ssim_in"] < errors["ssim_out"]
