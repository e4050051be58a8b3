"""The shipped Shapes models: registered without torch, right on held-out scenes, and well-behaved
decoding (beam search, attention maps, batching, options, checkpoint round-trip)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import mmzoo
from mmzoo.errors import InvalidInput, WeightsUnavailable


@pytest.fixture(scope="module")
def captioner():
    return mmzoo.load("caption/shapes-sat")


@pytest.fixture(scope="module")
def vqa():
    return mmzoo.load("vqa/shapes-joint")


def test_listing_the_models_imports_no_torch():
    code = ("import sys, mmzoo; ids = [m.id for m in mmzoo.models()]; "
            "assert 'caption/shapes-sat' in ids and 'vqa/shapes-joint' in ids, ids; "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_captioner_names_the_colour_and_shape_of_held_out_scenes(captioner, single_objects):
    results = mmzoo.run("caption", [image for image, _, _ in single_objects], model=captioner)
    right = [colour in r.captions[0].split() and shape in r.captions[0].split()
             for r, (_, colour, shape) in zip(results, single_objects)]
    assert sum(right) >= 9, [(r.captions[0], c, s) for r, (_, c, s) in zip(results, single_objects)]


def test_the_apps_example_image_gets_a_caption_that_binds_every_colour_to_its_shape(captioner):
    """shapes-example.png, the Caption and VQA tabs' example: an orange triangle, a blue diamond and a red circle."""
    from mmzoo.data.shapes import mentions
    from mmzoo.testing import asset

    result = mmzoo.run("caption", asset("shapes-example.png"), model=captioner, num_captions=3)
    named = mentions(result.captions[0])
    assert named and set(named) <= {("orange", "triangle"), ("blue", "diamond"), ("red", "circle")}, result.captions


def test_the_frozen_encoder_is_rebuilt_not_stored(captioner):
    from pathlib import Path

    from safetensors import safe_open

    net = captioner.net
    assert net.config.encoder.startswith("efficientnet-lite0:")
    assert not any(name.startswith("encoder.") for name in net.state_dict())
    assert not any(p.requires_grad for p in net.encoder._trunk[0].parameters())
    folder = Path(type(captioner).default_weights)
    with safe_open(folder / "model.safetensors", "pt") as f:
        assert not any(k.startswith("encoder.") for k in f.keys())
    assert (folder / "model.safetensors").stat().st_size < 8_000_000


def test_the_vqa_model_answers_colour_questions_on_held_out_scenes(vqa, single_objects):
    questions = [f"what color is the {shape}?" for _, _, shape in single_objects]
    results = mmzoo.run("vqa", [image for image, _, _ in single_objects], questions, model=vqa)
    right = [r.answer == colour for r, (_, colour, _) in zip(results, single_objects)]
    assert sum(right) >= 9, [(r.answer, c) for r, (_, c, _) in zip(results, single_objects)]


def test_verified_beams_put_denied_pairs_last_and_captions_that_name_more_first(captioner):
    from mmzoo.data.shapes import mentions
    from mmzoo.tasks.vqa import Answer, VQAResult
    from mmzoo.testing import asset

    image = asset("shapes-example.png")
    raw = mmzoo.run("caption", image, model=captioner, beam_size=6, num_captions=6, verify=False)
    denied = next(pair for c in raw.captions for pair in mentions(c))  # the first pair named, said to be absent

    class Checker:
        def answer(self, images, questions):
            return [VQAResult(q, [Answer("no" if q == f"is there a {denied[0]} {denied[1]}?" else "yes", 1.0)])
                    for q in questions]

    captioner._checker = Checker()
    try:
        checked = mmzoo.run("caption", image, model=captioner, beam_size=6, num_captions=6)
    finally:
        captioner._checker = None
    kept = [c for c in raw.captions if denied not in mentions(c)]
    assert 0 < len(kept) < len(raw.captions), raw.captions  # the check has something to move
    # no denied pair first, then the captions naming more pairs, then (a stable sort) the beam score
    expected = sorted(raw.captions, key=lambda c: (denied in mentions(c), -len(set(mentions(c)))))
    assert checked.captions == expected and expected != raw.captions


# shapes-example.png: an orange triangle, a blue diamond and a red circle. (Relation questions, "is A
# left of B", are right 0.59 of the time on shapes:test: not asserted here; see the weights' README.)
EXAMPLE_EXISTENCE = {
    "is there a red circle?": "yes", "is there an orange triangle?": "yes", "does the image contain a blue diamond?": "yes",
    "is there a red triangle?": "no", "is there a blue circle?": "no", "is there a green star?": "no",
    "is there no green star?": "yes", "can you see an orange diamond?": "no",
}


def test_the_vqa_model_answers_existence_questions_about_the_apps_example(vqa):
    from mmzoo.testing import asset

    questions = list(EXAMPLE_EXISTENCE)
    results = mmzoo.run("vqa", [asset("shapes-example.png")] * len(questions), questions, model=vqa)
    wrong = [(q, r.answer) for q, r in zip(questions, results) if r.answer != EXAMPLE_EXISTENCE[q]]
    assert len(wrong) <= 1, wrong


def test_beam_search_gives_distinct_captions_best_first_with_attention(captioner, single_objects):
    result = mmzoo.run("caption", single_objects[0][0], model=captioner, num_captions=3, beam_size=4)
    assert len(result.captions) == 3 == len(set(result.captions))
    assert result.scores == sorted(result.scores, reverse=True)
    words = result.captions[0].split()
    grid = captioner.net.encoder.grid
    assert np.stack(result.attention).shape == (len(words), grid, grid)
    assert np.allclose([a.sum() for a in result.attention], 1.0, atol=1e-5)


def test_greedy_decoding_and_max_length(captioner, single_objects):
    greedy = mmzoo.run("caption", single_objects[1][0], model=captioner, beam_size=1)
    assert len(greedy.captions) == 1 and greedy.captions[0]
    short = mmzoo.run("caption", single_objects[1][0], model=captioner, max_length=2)
    assert 1 <= len(short.captions[0].split()) <= 2
    with pytest.raises(InvalidInput, match="beam_size"):
        mmzoo.run("caption", single_objects[1][0], model=captioner, beam_size=0)
    with pytest.raises(InvalidInput, match="options"):
        mmzoo.run("caption", single_objects[1][0], model=captioner, temperature=0.5)


def test_a_batch_gives_what_one_at_a_time_gives(captioner, vqa, single_objects):
    images = [image for image, _, _ in single_objects[:4]]
    batch = captioner.caption(images, num_captions=2)
    alone = [captioner.caption([image], num_captions=2)[0] for image in images]
    assert [r.captions for r in batch] == [r.captions for r in alone]
    assert np.allclose([r.scores for r in batch], [r.scores for r in alone], atol=1e-4)
    questions = ["what color is the circle?", "how many shapes are there?", "is there a red star?", "what size is it?"]
    batch = vqa.answer(images, questions, top_k=3)
    alone = [vqa.answer([i], [q], top_k=3)[0] for i, q in zip(images, questions)]
    assert [[a.text for a in r.answers] for r in batch] == [[a.text for a in r.answers] for r in alone]
    assert np.allclose([[a.score for a in r.answers] for r in batch], [[a.score for a in r.answers] for r in alone],
                       atol=1e-5)


def test_vqa_top_k_are_softmax_probabilities(vqa, single_objects):
    result = vqa.answer([single_objects[0][0]], ["how many shapes are there?"], top_k=100)[0]
    scores = [a.score for a in result.answers]
    assert len(scores) == len(vqa.answers) and scores == sorted(scores, reverse=True)
    assert sum(scores) == pytest.approx(1.0, abs=1e-4)
    with pytest.raises(InvalidInput, match="top_k"):
        vqa.answer([single_objects[0][0]], ["what?"], top_k=0)


def test_checkpoint_round_trip_gives_identical_outputs(captioner, vqa, single_objects, tmp_path):
    images = [image for image, _, _ in single_objects[:3]]
    captioner.net.save(tmp_path / "sat", captioner.vocab)
    vqa.net.save(tmp_path / "vqa", vqa.vocab, vqa.answers)
    sat_again = mmzoo.load("caption/shapes-sat", weights=tmp_path / "sat")
    vqa_again = mmzoo.load("vqa/shapes-joint", weights=tmp_path / "vqa")
    first, second = captioner.caption(images, num_captions=2), sat_again.caption(images, num_captions=2)
    assert [r.captions for r in first] == [r.captions for r in second]
    assert [r.scores for r in first] == [r.scores for r in second]
    assert all(np.array_equal(a, b) for r, s in zip(first, second) for a, b in zip(r.attention, s.attention))
    q = ["what color is the circle?"] * 3
    assert [r.to_dict() for r in vqa.answer(images, q, top_k=3)] == [r.to_dict() for r in vqa_again.answer(images, q, top_k=3)]


def test_a_missing_checkpoint_is_weights_unavailable(tmp_path):
    with pytest.raises(WeightsUnavailable):
        mmzoo.load("caption/shapes-sat", weights=tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(WeightsUnavailable, match="config.json"):
        mmzoo.load("vqa/shapes-joint", weights=tmp_path / "empty")


def test_attention_overlays_light_each_word(captioner, single_objects):
    from mmzoo.tasks.caption import attention_overlays

    image = single_objects[0][0]
    result = captioner.caption([image])[0]
    frames = attention_overlays(image, result.captions[0].split(), result.attention, size=96)
    assert [word for _, word in frames] == result.captions[0].split()
    assert all(frame.size == (96, 96) for frame, _ in frames)
