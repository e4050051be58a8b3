"""VQA accuracy as the official VQA evaluation computes it.

For each question, the prediction is normalised (punctuation, number words, articles,
contractions), then compared with the 10 human answers: for each answer left out in turn,
``min(1, matches among the other 9 / 3)``; the question's accuracy is the mean of those 10.
Human answers are only punctuation-normalised, and only when they are not unanimous, exactly as
in the official script. Written here because no maintained package ships that script.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

# The normalisation tables of the official evaluation (facts, kept verbatim as data).
CONTRACTIONS = {
    "aint": "ain't", "arent": "aren't", "cant": "can't", "couldve": "could've", "couldnt": "couldn't",
    "couldn'tve": "couldn't've", "couldnt've": "couldn't've", "didnt": "didn't", "doesnt": "doesn't",
    "dont": "don't", "hadnt": "hadn't", "hadnt've": "hadn't've", "hadn'tve": "hadn't've", "hasnt": "hasn't",
    "havent": "haven't", "hed": "he'd", "hed've": "he'd've", "he'dve": "he'd've", "hes": "he's", "howd": "how'd",
    "howll": "how'll", "hows": "how's", "Id've": "I'd've", "I'dve": "I'd've", "Im": "I'm", "Ive": "I've",
    "isnt": "isn't", "itd": "it'd", "itd've": "it'd've", "it'dve": "it'd've", "itll": "it'll", "let's": "let's",
    "maam": "ma'am", "mightnt": "mightn't", "mightnt've": "mightn't've", "mightn'tve": "mightn't've",
    "mightve": "might've", "mustnt": "mustn't", "mustve": "must've", "neednt": "needn't", "notve": "not've",
    "oclock": "o'clock", "oughtnt": "oughtn't", "ow's'at": "'ow's'at", "'ows'at": "'ow's'at", "'ow'sat": "'ow's'at",
    "shant": "shan't", "shed've": "she'd've", "she'dve": "she'd've", "she's": "she's", "shouldve": "should've",
    "shouldnt": "shouldn't", "shouldnt've": "shouldn't've", "shouldn'tve": "shouldn't've",
    "somebody'd": "somebodyd", "somebodyd've": "somebody'd've", "somebody'dve": "somebody'd've",
    "somebodyll": "somebody'll", "somebodys": "somebody's", "someoned": "someone'd", "someoned've": "someone'd've",
    "someone'dve": "someone'd've", "someonell": "someone'll", "someones": "someone's", "somethingd": "something'd",
    "somethingd've": "something'd've", "something'dve": "something'd've", "somethingll": "something'll",
    "thats": "that's", "thered": "there'd", "thered've": "there'd've", "there'dve": "there'd've",
    "therere": "there're", "theres": "there's", "theyd": "they'd", "theyd've": "they'd've", "they'dve": "they'd've",
    "theyll": "they'll", "theyre": "they're", "theyve": "they've", "twas": "'twas", "wasnt": "wasn't",
    "wed've": "we'd've", "we'dve": "we'd've", "weve": "we've", "werent": "weren't", "whatll": "what'll",
    "whatre": "what're", "whats": "what's", "whatve": "what've", "whens": "when's", "whered": "where'd",
    "wheres": "where's", "whereve": "where've", "whod": "who'd", "whod've": "who'd've", "who'dve": "who'd've",
    "wholl": "who'll", "whos": "who's", "whove": "who've", "whyll": "why'll", "whyre": "why're", "whys": "why's",
    "wont": "won't", "wouldve": "would've", "wouldnt": "wouldn't", "wouldnt've": "wouldn't've",
    "wouldn'tve": "wouldn't've", "yall": "y'all", "yall'll": "y'all'll", "y'allll": "y'all'll",
    "yall'd've": "y'all'd've", "y'alld've": "y'all'd've", "y'all'dve": "y'all'd've", "youd": "you'd",
    "youd've": "you'd've", "you'dve": "you'd've", "youll": "you'll", "youre": "you're", "youve": "you've",
}
NUMBER_WORDS = {"none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
                "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10"}
ARTICLES = {"a", "an", "the"}
PUNCTUATION = [";", "/", "[", "]", '"', "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!"]
# A period not followed by a digit. (The official pattern also has a no-op "(?!<=\d)" prefix.)
_PERIOD = re.compile(r"(?!<=\d)(\.)(?!\d)")
_DIGIT_COMMA_DIGIT = re.compile(r"(\d)(,)(\d)")
_OFFICIAL_PERIOD_LIMIT = 32  # the official script passes re.UNICODE (== 32) as sub()'s count


def normalize_punctuation(text: str) -> str:
    out = text
    glued = _DIGIT_COMMA_DIGIT.search(text) is not None
    for mark in PUNCTUATION:
        # Marks next to a space (or any text with a 1,000-style number) vanish; others become spaces.
        out = out.replace(mark, "" if (mark + " " in text or " " + mark in text or glued) else " ")
    return _PERIOD.sub("", out, count=_OFFICIAL_PERIOD_LIMIT)


def normalize_digits_articles(text: str) -> str:
    words = [NUMBER_WORDS.get(w, w) for w in text.lower().split()]
    return " ".join(CONTRACTIONS.get(w, w) for w in words if w not in ARTICLES)


def normalize_answer(answer: str) -> str:
    """The normalisation applied to a predicted answer."""
    answer = answer.replace("\n", " ").replace("\t", " ").strip()
    return normalize_digits_articles(normalize_punctuation(answer))


def question_accuracy(prediction: str, human_answers: list[str]) -> float:
    """Accuracy of one prediction against the human answers (usually 10), in [0, 1]."""
    if not human_answers:
        raise ValueError("a question needs at least one human answer")
    predicted = normalize_answer(prediction)
    answers = [a.replace("\n", " ").replace("\t", " ").strip() for a in human_answers]
    if len(set(answers)) > 1:
        answers = [normalize_punctuation(a) for a in answers]
    scores = []
    for left_out in range(len(answers)):
        others = answers[:left_out] + answers[left_out + 1:]
        scores.append(min(1.0, sum(a == predicted for a in others) / 3))
    return sum(scores) / len(scores)


@dataclass
class VQAScores:
    overall: float  # fraction in [0, 1] (the official script prints 100x, rounded)
    per_answer_type: dict[str, float] = field(default_factory=dict)
    per_question_type: dict[str, float] = field(default_factory=dict)
    per_question: dict[object, float] = field(default_factory=dict)


def vqa_accuracy(predictions: dict[object, str], human_answers: dict[object, list[str]],
                 answer_types: dict[object, str] | None = None,
                 question_types: dict[object, str] | None = None) -> VQAScores:
    """Mean accuracy over the questions in ``predictions`` (keyed by question id)."""
    missing = [q for q in predictions if q not in human_answers]
    if missing:
        raise KeyError(f"no human answers for question ids {missing[:5]}")
    per_question = {q: question_accuracy(p, human_answers[q]) for q, p in predictions.items()}
    if not per_question:
        raise ValueError("no predictions to score")
    return VQAScores(
        overall=_mean(per_question.values()),
        per_answer_type=_grouped(per_question, answer_types),
        per_question_type=_grouped(per_question, question_types),
        per_question=per_question,
    )


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values)


def _grouped(per_question: dict[object, float], groups: dict[object, str] | None) -> dict[str, float]:
    if not groups:
        return {}
    buckets: dict[str, list[float]] = defaultdict(list)
    for q, accuracy in per_question.items():
        buckets[groups.get(q, "unknown")].append(accuracy)
    return {name: _mean(scores) for name, scores in sorted(buckets.items())}
