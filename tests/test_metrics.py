"""Metrics mean what they mean in the papers: checked against reference implementations and by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from mmzoo.eval.captioning import caption_scores
from mmzoo.eval.image import clip_score, l1, manipulation_precision, psnr, ssim
from mmzoo.eval.ocr import error_rates
from mmzoo.eval.retrieval import retrieval_scores
from mmzoo.eval.vqa import normalize_answer, question_accuracy, vqa_accuracy

REFERENCES = [
    ["a red circle above a blue square", "a blue square below a red circle", "two shapes: a circle and a square"],
    ["a small green star", "a green star on a light background", "one small star, green"],
    ["three yellow triangles", "several yellow triangles side by side", "yellow triangles in a row"],
    ["a man riding a horse on the beach", "a person rides a horse along the shore", "horse riding by the sea"],
]
CANDIDATES = ["a red circle over a blue square", "a green star", "two yellow triangles", "a man on a horse"]


def coco_reference_scores(tmp_path):
    """The same captions through pycocoevalcap's own COCOEvalCap pipeline (COCO API, loadRes)."""
    from pycocoevalcap.eval import COCOEvalCap
    from pycocotools.coco import COCO

    gt = {"images": [{"id": i} for i in range(len(REFERENCES))], "info": {}, "licenses": [], "type": "captions",
          "annotations": [{"image_id": i, "id": 10 * i + j, "caption": c}
                          for i, refs in enumerate(REFERENCES) for j, c in enumerate(refs)]}
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps([{"image_id": i, "caption": c} for i, c in enumerate(CANDIDATES)]))
    coco = COCO(str(tmp_path / "gt.json"))
    evaluator = COCOEvalCap(coco, coco.loadRes(str(tmp_path / "res.json")))
    evaluator.params["image_id"] = coco.getImgIds()
    # COCOEvalCap.evaluate() always runs SPICE, which needs a download: run its other scorers the same way.
    evaluator.evaluate = _evaluate_without_spice.__get__(evaluator)
    evaluator.evaluate()
    return evaluator.eval


def _evaluate_without_spice(self):
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.meteor.meteor import Meteor
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    ids = self.params["image_id"]
    gts = PTBTokenizer().tokenize({i: self.coco.imgToAnns[i] for i in ids})
    res = PTBTokenizer().tokenize({i: self.cocoRes.imgToAnns[i] for i in ids})
    for scorer, names in [(Bleu(4), ["Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4"]), (Meteor(), "METEOR"),
                          (Rouge(), "ROUGE_L"), (Cider(), "CIDEr")]:
        score, _ = scorer.compute_score(gts, res)
        if isinstance(names, list):
            for name, value in zip(names, score):
                self.setEval(value, name)
        else:
            self.setEval(score, names)


def test_caption_metrics_agree_with_pycocoevalcap(tmp_path):
    ours = caption_scores(REFERENCES, CANDIDATES)
    reference = coco_reference_scores(tmp_path)
    pairs = {"BLEU-1": "Bleu_1", "BLEU-2": "Bleu_2", "BLEU-3": "Bleu_3", "BLEU-4": "Bleu_4",
             "METEOR": "METEOR", "ROUGE_L": "ROUGE_L", "CIDEr-D": "CIDEr"}
    for ours_name, ref_name in pairs.items():
        assert ours.corpus[ours_name] == pytest.approx(reference[ref_name], abs=1e-6), ours_name
    assert len(ours.per_image["CIDEr-D"]) == len(CANDIDATES)
    assert "SPICE" in ours.unavailable and "Stanford CoreNLP" in ours.unavailable["SPICE"]


def test_a_perfect_caption_scores_highest():
    perfect = caption_scores(REFERENCES, [refs[0] for refs in REFERENCES], metrics=("BLEU", "ROUGE_L", "CIDEr-D"))
    weak = caption_scores(REFERENCES, CANDIDATES, metrics=("BLEU", "ROUGE_L", "CIDEr-D"))
    assert perfect.corpus["BLEU-1"] == pytest.approx(1.0) and perfect.corpus["ROUGE_L"] > weak.corpus["ROUGE_L"]
    assert perfect.corpus["CIDEr-D"] > weak.corpus["CIDEr-D"]
    with pytest.raises(ValueError, match="unknown caption metrics"):
        caption_scores(REFERENCES, CANDIDATES, metrics=("BLEURT",))


# -- VQA: cases worked out by hand with the official rules --------------------------------

TEN = 10


@pytest.mark.parametrize("prediction, answers, expected", [
    ("yes", ["yes"] * TEN, 1.0),
    ("no", ["yes"] * TEN, 0.0),
    ("yes", ["yes"] * 3 + ["no"] * 7, (3 * 2 / 3 + 7 * 1) / 10),  # leave a "yes" out: 2 matches left
    ("yes", ["yes"] * 1 + ["no"] * 9, (1 * 0 + 9 * 1 / 3) / 10),
    ("yes", ["yes"] * 2 + ["no"] * 8, (2 * 1 / 3 + 8 * 2 / 3) / 10),
    ("Yes.", ["yes"] * 2 + ["no"] * 8, (2 * 1 / 3 + 8 * 2 / 3) / 10),  # case and period normalised
    ("two", ["2"] * TEN, 1.0),  # number words become digits
    ("A dog", ["dog"] * TEN, 1.0),  # articles dropped
    ("dont know", ["don't know"] * TEN, 1.0),  # contractions restored
    ("1,000", ["1000"] * TEN, 1.0),  # digit commas dropped
    ("two", ["two"] * TEN, 0.0),  # the official quirk: unanimous human answers are not normalised
    # non-unanimous human answers are punctuation-normalised: "red!" becomes "red " (the mark turns into a
    # space, which is not stripped), so it no longer matches; the two plain "red" answers still do
    ("red", ["red!", "red", "red"] + ["blue"] * 7, (2 / 3 + 2 * 1 / 3 + 7 * 2 / 3) / 10),
    ("red", ["red.", "red", "red"] + ["blue"] * 7, (3 * 2 / 3 + 7 * 1) / 10),  # a period is removed outright
])
def test_vqa_accuracy_follows_the_official_rules(prediction, answers, expected):
    assert question_accuracy(prediction, answers) == pytest.approx(expected, abs=1e-6)


def test_vqa_normalisation_and_aggregation():
    assert normalize_answer("  The Two\tdogs! ") == "2 dogs"
    assert normalize_answer("left-hand") == "left hand"
    scores = vqa_accuracy({1: "yes", 2: "3", 3: "red"},
                          {1: ["yes"] * TEN, 2: ["3"] * 2 + ["4"] * 8, 3: ["blue"] * TEN},
                          answer_types={1: "yes/no", 2: "number", 3: "other"})
    assert scores.per_question == pytest.approx({1: 1.0, 2: (2 * 1 / 3 + 8 * 2 / 3) / 10, 3: 0.0})
    assert scores.overall == pytest.approx((1.0 + 0.6 + 0.0) / 3)
    assert scores.per_answer_type == pytest.approx({"number": 0.6, "other": 0.0, "yes/no": 1.0})


# -- retrieval: against a brute-force count ---------------------------------------------------


def brute_force_recall(similarity, text_image, k):
    images, texts = similarity.shape
    i2t = 0
    for i in range(images):
        order = sorted(range(texts), key=lambda t: (-similarity[i, t], text_image[t] == i))  # ties count against
        i2t += any(text_image[t] == i for t in order[:k])
    t2i = 0
    for t in range(texts):
        order = sorted(range(images), key=lambda i: (-similarity[i, t], i == text_image[t]))
        t2i += text_image[t] in order[:k]
    return i2t / images, t2i / texts


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recall_at_k_matches_a_brute_force_count(seed):
    rng = np.random.default_rng(seed)
    images, per_image, dim = 40, 5, 8
    image_vectors = rng.normal(size=(images, dim))
    text_image = np.repeat(np.arange(images), per_image)
    text_vectors = image_vectors[text_image] + rng.normal(scale=1.5, size=(images * per_image, dim))
    normalise = lambda m: m / np.linalg.norm(m, axis=1, keepdims=True)
    image_vectors, text_vectors = normalise(image_vectors), normalise(text_vectors)
    scores = retrieval_scores(image_vectors, text_vectors, text_image)
    similarity = image_vectors @ text_vectors.T
    for k in (1, 5, 10):
        i2t, t2i = brute_force_recall(similarity, text_image, k)
        assert scores[f"i2t_R@{k}"] == pytest.approx(i2t) and scores[f"t2i_R@{k}"] == pytest.approx(t2i)
    assert 0 < scores["t2i_R@1"] < scores["t2i_R@10"] <= 1


def test_ties_rank_against_the_query():
    # image 0 has texts 0 and 1; both score the same as the wrong image 1 for text 1
    images = np.array([[1.0, 0.0], [1.0, 0.0]])
    texts = np.array([[1.0, 0.0], [0.0, 1.0]])
    scores = retrieval_scores(images, texts, [0, 1])
    assert scores["t2i_R@1"] == 0.0  # each text ties with the other image, and ties count against it
    assert scores["t2i_R@5"] == 1.0 and scores["t2i_medr"] == 2.0


# -- OCR and images ---------------------------------------------------------------------------


def test_error_rates():
    rates = error_rates(["hello world", "one two three"], ["hello word", "one two three"])
    assert rates["WER"] == pytest.approx(1 / 5)
    assert rates["CER"] == pytest.approx(1 / (11 + 13))
    assert error_rates(["a\nb  c"], ["a b c"]) == {"CER": 0.0, "WER": 0.0}  # layout is not an error
    blank = error_rates(["abc", ""], ["abc", "two words"])  # text read on a blank page: all insertions
    assert blank == {"CER": pytest.approx(9 / 3), "WER": pytest.approx(2 / 1)}


def test_image_metrics():
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8))
    noisy = Image.fromarray(np.clip(np.asarray(image, int) + rng.integers(-20, 21, size=(32, 32, 3)), 0, 255)
                            .astype(np.uint8))
    assert psnr(image, image) == float("inf") and 15 < psnr(image, noisy) < 40
    assert ssim(image, image) == pytest.approx(1.0) and ssim(image, noisy) < 1.0
    assert l1(image, image) == 0.0 and 0 < l1(image, noisy) < 0.1


def test_clip_score_and_manipulation_precision(register_plugin):
    import mmzoo
    from mmzoo.testing.doubles import DoublesPlugin, colour_image

    register_plugin(DoublesPlugin(), "doubles")
    model = mmzoo.load("retrieve/colour")
    red, blue = colour_image("red"), colour_image("blue")
    right, wrong = clip_score(model, [red, red], ["a red square", "a blue square"])
    assert right > wrong > 0 and right <= 2.5
    assert manipulation_precision(model, red, red, "a red square") == pytest.approx(1.0, abs=1e-6)
    edited = manipulation_precision(model, red, blue, "a blue square")
    assert 0 < edited < 1  # right colour, but the whole image changed


def test_recall_from_a_similarity_matrix_equals_recall_from_embeddings():
    from mmzoo.eval.retrieval import recall_scores

    rng = np.random.default_rng(0)
    images, texts = rng.standard_normal((6, 4)), rng.standard_normal((12, 4))
    owner = [i // 2 for i in range(12)]
    assert recall_scores(images @ texts.T, owner) == retrieval_scores(images, texts, owner)
    with pytest.raises(ValueError, match="images, texts"):
        recall_scores(images @ texts.T, owner[:5])
