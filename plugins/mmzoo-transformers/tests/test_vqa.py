"""vqa/*: tiny random BLIP-VQA and ViLT models loaded through the hub ids' code path."""

from __future__ import annotations

import pytest

import mmzoo
from mmzoo.errors import InvalidInput
from mmzoo.tasks.vqa import Answer, VQAResult

QUESTIONS = ["what colour is the circle?", "how many shapes are there?", "is there a red square on the left?"]


@pytest.fixture
def vilt(vilt_folder):
    return mmzoo.load("vqa/vilt-b32-vqa", weights=vilt_folder, device="cpu")


@pytest.fixture
def blip_vqa(blip_vqa_folder):
    return mmzoo.load("vqa/blip-vqa-base", weights=blip_vqa_folder, device="cpu")


def check(results, questions, most):
    assert len(results) == len(questions)
    for result, question in zip(results, questions):
        assert isinstance(result, VQAResult) and result.question == question
        assert 1 <= len(result.answers) <= most
        assert all(isinstance(a, Answer) and isinstance(a.text, str) and 0.0 <= a.score <= 1.0 for a in result.answers)
        scores = [a.score for a in result.answers]
        assert scores == sorted(scores, reverse=True)
        assert result.answer == result.answers[0].text


def test_vilt_answers_come_from_id2label(vilt, images):
    labels = set(vilt._model.config.id2label.values())
    results = vilt.answer(images[:3], QUESTIONS, top_k=3)
    check(results, QUESTIONS, 3)
    assert all(len(r.answers) == 3 and {a.text for a in r.answers} <= labels for r in results)


def test_vilt_top_k_is_capped_by_the_labels(vilt, images):
    (result,) = vilt.answer(images[:1], QUESTIONS[:1], top_k=100)
    assert sorted(a.text for a in result.answers) == sorted(vilt._model.config.id2label.values())


def test_vilt_batched_equals_one_at_a_time(vilt, images):
    same_size = [images[0], images[3]]  # 32x32 and 48x48: the same grid after resizing, no padding
    batched = vilt.answer(same_size, QUESTIONS[:2], top_k=2)
    for image, question, together in zip(same_size, QUESTIONS, batched):
        (alone,) = vilt.answer([image], [question], top_k=2)
        assert [a.text for a in alone.answers] == [a.text for a in together.answers]
        assert [a.score for a in alone.answers] == pytest.approx([a.score for a in together.answers], abs=1e-4)


def test_blip_vqa_answers_with_probabilities(blip_vqa, images):
    check(blip_vqa.answer(images[:3], QUESTIONS, max_length=4), QUESTIONS, 1)
    results = blip_vqa.answer(images[:2], QUESTIONS[:2], top_k=3, max_length=4)
    check(results, QUESTIONS[:2], 3)
    assert all(len({a.text for a in r.answers}) == len(r.answers) for r in results)  # no duplicate texts


def test_blip_vqa_batched_greedy_equals_one_at_a_time(blip_vqa, images):
    batched = blip_vqa.answer(images[:3], QUESTIONS, max_length=4)
    for image, question, together in zip(images, QUESTIONS, batched):
        (alone,) = blip_vqa.answer([image], [question], max_length=4)
        assert alone.answer == together.answer
        assert alone.answers[0].score == pytest.approx(together.answers[0].score, rel=1e-3)


@pytest.mark.parametrize("which", ["vilt", "blip_vqa"])
def test_mmzoo_run_and_options(which, request, images):
    model = request.getfixturevalue(which)
    result = mmzoo.run("vqa", images[0], "what colour?", model=model, top_k=2)
    assert isinstance(result, VQAResult) and result.question == "what colour?" and len(result.answers) <= 2
    several = mmzoo.run("vqa", images[0], ["what colour?", "how many?"], model=model)
    assert [r.question for r in several] == ["what colour?", "how many?"]
    with pytest.raises(InvalidInput):
        model.answer(images[:1], QUESTIONS[:1], top_k=0)
    with pytest.raises(InvalidInput):
        model.answer(images[:2], QUESTIONS[:1])
