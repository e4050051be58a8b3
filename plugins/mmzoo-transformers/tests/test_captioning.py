"""caption/*: tiny random BLIP, GIT and ViT-GPT2 models loaded through the hub ids' code path."""

from __future__ import annotations

import math

import pytest

import mmzoo
from mmzoo.errors import InvalidInput
from mmzoo.tasks.caption import CaptionResult

CAPTIONERS = {"caption/blip-base": "blip_folder", "caption/git-base-coco": "git_folder",
              "caption/vit-gpt2": "vit_gpt2_folder"}
SHORT = 6  # max_length in tests: random weights rarely stop early


@pytest.fixture(params=list(CAPTIONERS))
def captioner(request):
    folder = request.getfixturevalue(CAPTIONERS[request.param])
    return mmzoo.load(request.param, weights=folder, device="cpu")


def test_one_result_per_image(captioner, images):
    results = captioner.caption(images, max_length=SHORT)
    assert len(results) == len(images)
    for result in results:
        assert isinstance(result, CaptionResult)
        assert len(result.captions) == 1 and isinstance(result.captions[0], str)
        assert len(result.scores) == 1 and math.isfinite(result.scores[0]) and result.scores[0] <= 0


def test_batched_greedy_equals_one_at_a_time(captioner, images):
    batched = captioner.caption(images, max_length=SHORT)
    for image, together in zip(images, batched):
        (alone,) = captioner.caption([image], max_length=SHORT)
        assert alone.captions == together.captions
        assert alone.scores == pytest.approx(together.scores, abs=1e-4)


@pytest.mark.parametrize("beam_size", [1, 4])
def test_num_captions_best_first(captioner, images, beam_size):
    results = captioner.caption(images[:2], num_captions=3, beam_size=beam_size, max_length=SHORT)
    assert len(results) == 2
    for result in results:
        assert len(result.captions) == len(result.scores) == 3
        assert result.scores == sorted(result.scores, reverse=True)


def test_beam_search_scores_no_worse_than_greedy(captioner, images):
    """Both scores are the mean token log-probability, so the widest beam scores at least as well."""
    greedy = captioner.caption(images[:2], max_length=SHORT)
    beam = captioner.caption(images[:2], beam_size=4, max_length=SHORT)
    for g, b in zip(greedy, beam):
        assert b.scores[0] >= g.scores[0] - 1e-4


def test_max_length_bounds_the_caption(captioner, images):
    (short,) = captioner.caption(images[:1], max_length=1)
    (longer,) = captioner.caption(images[:1], max_length=SHORT)
    assert len(short.captions[0]) <= len(longer.captions[0])


def test_bad_options_are_invalid_input(captioner, images):
    for options in ({"num_captions": 0}, {"beam_size": -1}, {"max_length": "ten"}):
        with pytest.raises(InvalidInput):
            captioner.caption(images[:1], **options)
    with pytest.raises(InvalidInput, match="temperature"):
        mmzoo.run("caption", images[0], model=captioner, temperature=0.5)


def test_mmzoo_run(captioner, images):
    one = mmzoo.run("caption", images[0], model=captioner, max_length=SHORT)
    assert isinstance(one, CaptionResult)
    several = mmzoo.run("caption", images[:2], model=captioner, num_captions=2, max_length=SHORT)
    assert [len(r.captions) for r in several] == [2, 2]


@pytest.mark.parametrize("model_id", ["caption/blip-base", "caption/git-base-coco"])
def test_prompt_is_continued(model_id, request, images):
    model = mmzoo.load(model_id, weights=request.getfixturevalue(CAPTIONERS[model_id]), device="cpu")
    results = model.caption(images[:3], prompt="a  red", max_length=3)
    assert len(results) == 3
    assert all(r.captions[0].startswith("a red") for r in results)
    beams = model.caption(images[:1], prompt="a red", num_captions=2, max_length=3)
    assert all(c.startswith("a red") for c in beams[0].captions)


def test_vit_gpt2_refuses_a_prompt(vit_gpt2_folder, images):
    model = mmzoo.load("caption/vit-gpt2", weights=vit_gpt2_folder, device="cpu")
    with pytest.raises(InvalidInput, match="prompt"):
        model.caption(images[:1], prompt="a photo of")
    assert model.caption(images[:1], prompt="", max_length=2)  # an empty prompt is no prompt
