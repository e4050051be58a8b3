"""The Text to image tab through gradio_client, on the shipped default (text2image/shapes-diffusion):
generate, edit and inpaint, seeds shown, PNG parameters kept, re-ranking scores, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from mmzoo.tasks.generation_parameters import read_parameters

MODEL = "text2image/shapes-diffusion"


@pytest.fixture(scope="module")
def client():
    from mmzoo.testing import running_app

    with running_app() as url:
        yield Client(url, verbose=False, analytics_enabled=False)


def editor(path) -> dict:
    return {"background": handle_file(str(path)), "layers": [], "composite": None}


def test_generate_shows_the_seeds_and_serves_pngs_with_their_parameters(client):
    items, details = client.predict(prompt="a large red circle", seed=11, num_images=2, steps=4, model=MODEL,
                                    api_name="/text2image")
    assert [i["caption"] for i in items] == ["seed 11", "seed 12"]
    assert [d["seed"] for d in details] == [11, 12] and details[0]["parameters"]["steps"] == 4
    read = read_parameters(items[0]["image"])
    assert (read["prompt"], read["seed"], read["steps"], read["model"]) == ("a large red circle", 11, 4, MODEL)
    again, _ = client.predict(prompt="a large red circle", seed=12, steps=4, model=MODEL, api_name="/text2image")
    alone, batched = (np.asarray(Image.open(i["image"]), dtype=int) for i in (again[0], items[1]))
    assert np.abs(alone - batched).max() <= 1  # the same image (a batch's float sums may round one level apart)
    random_items, random_details = client.predict(prompt="a blue square", steps=2, model=MODEL, api_name="/text2image")
    assert random_items[0]["caption"] == f"seed {random_details[0]['seed']}"  # blank seed: a random one, shown


def test_edit_and_inpaint_from_the_editor_and_an_uploaded_mask(client, tmp_path):
    source = tmp_path / "source.png"
    Image.new("RGB", (80, 80), (230, 230, 240)).save(source)
    edited, details = client.predict(prompt="a green square", image=editor(source), seed=1, steps=6, strength=0.7,
                                     model=MODEL, api_name="/text2image")
    assert details[0]["mode"] == "edit" and details[0]["parameters"]["strength"] == 0.7
    assert Image.open(edited[0]["image"]).size == (80, 80)
    mask = tmp_path / "mask.png"
    region = Image.new("L", (80, 80), 0)
    region.paste(255, (20, 20, 60, 60))
    region.save(mask)
    painted, details = client.predict(prompt="a red star", image=editor(source), mask=handle_file(str(mask)), seed=2,
                                      steps=6, model=MODEL, api_name="/text2image")
    assert details[0]["mode"] == "inpaint"
    before, after = np.asarray(Image.open(source)), np.asarray(Image.open(painted[0]["image"]).convert("RGB"))
    outside = np.asarray(region) == 0
    assert np.array_equal(before[outside], after[outside]) and not np.array_equal(before[~outside], after[~outside])


def test_rerank_puts_the_best_first_and_shows_the_scores(client):
    items, details = client.predict(prompt="a large blue triangle", seed=0, num_images=3, steps=4,
                                    rerank_with="retrieve/shapes-minilm-cnn", model=MODEL, api_name="/text2image")
    scores = [d["score"] for d in details]
    assert scores == sorted(scores, reverse=True) and all(s is not None for s in scores)
    assert items[0]["caption"] == f"seed {details[0]['seed']} · score {scores[0]:.3f}"


def test_bad_input_is_a_message_and_the_tab_keeps_working(client, tmp_path):
    with pytest.raises(AppError, match="steps must be"):
        client.predict(prompt="a red circle", steps=10_000, model=MODEL, api_name="/text2image")
    with pytest.raises(AppError, match="samples with DDIM only"):
        client.predict(prompt="a red circle", steps=2, scheduler="Euler a", model=MODEL, api_name="/text2image")
    mask = tmp_path / "mask.png"
    Image.new("L", (8, 8), 255).save(mask)
    with pytest.raises(AppError, match="put the image to repaint in the editor first"):
        client.predict(prompt="a red circle", mask=handle_file(str(mask)), model=MODEL, api_name="/text2image")
    items, _ = client.predict(prompt="a red circle", seed=1, steps=2, model=MODEL, api_name="/text2image")
    assert len(items) == 1
