"""Visual question answering: BLIP-VQA writes answers, ViLT picks them from a fixed list.

Scores differ in kind and are not comparable across the two models:

- BLIP-VQA: the probability the model gives the whole answer sequence; ``top_k`` answers are the
  ``top_k`` beams of beam search (greedy for 1).
- ViLT: a sigmoid per answer of its VQAv2 vocabulary (``config.id2label``), as it was trained (binary
  cross-entropy against soft VQA scores): answers are scored independently and need not sum to 1.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from mmzoo.errors import InvalidInput
from mmzoo.tasks.vqa import Answer, VQAModel, VQAResult

from .decoding import generate_with_scores
from .hub import TransformersModel, load_weights, positive

if TYPE_CHECKING:
    from PIL import Image as PILImage

MAX_ANSWER_LENGTH = 10  # new tokens: VQA answers are one to three words


class _VQA(TransformersModel, VQAModel):
    def _check(self, images: list[PILImage.Image], questions: list[str]) -> None:
        if self._model is None:
            raise InvalidInput(f"{self.model_id} was closed; load it again")
        if len(images) != len(questions):
            raise InvalidInput(f"got {len(images)} images but {len(questions)} questions")


class BlipVQA(_VQA):
    """``Salesforce/blip-vqa-base``: BlipForQuestionAnswering + BlipProcessor (generative)."""

    model_id = "vqa/blip-vqa-base"

    def _load(self, folder: Path) -> None:
        from transformers import BlipForQuestionAnswering, BlipProcessor

        self._processor = BlipProcessor.from_pretrained(folder)
        self._model = load_weights(BlipForQuestionAnswering, folder)

    def answer(self, images: list[PILImage.Image], questions: list[str], *, top_k: int = 1,
               max_length: int = MAX_ANSWER_LENGTH) -> list[VQAResult]:
        top_k = positive("top_k", top_k)
        max_length = positive("max_length", max_length)
        self._check(images, questions)
        if not images:
            return []
        inputs = self._inputs(self._processor(images=[i.convert("RGB") for i in images], text=list(questions),
                                              padding=True, return_tensors="pt"))
        # length_penalty=0: beams are ranked by, and scored with, the answer's log-probability.
        sequences, scores = generate_with_scores(
            self._model.generate, inputs, eos_ids=[self._model.config.text_config.sep_token_id],
            num_beams=top_k, num_return=top_k, max_new_tokens=max_length, length_penalty=0.0)
        texts = [t.strip() for t in self._processor.batch_decode(sequences, skip_special_tokens=True)]
        results = []
        for row, question in enumerate(questions):
            best: dict[str, float] = {}  # two beams may decode to the same text: keep the likelier
            for text, score in zip(texts[row * top_k:(row + 1) * top_k], scores[row * top_k:(row + 1) * top_k]):
                best[text] = max(best.get(text, 0.0), math.exp(score))
            answers = sorted((Answer(text, p) for text, p in best.items()), key=lambda a: -a.score)
            results.append(VQAResult(question=question, answers=answers))
        return results


class ViltVQA(_VQA):
    """``dandelin/vilt-b32-finetuned-vqa``: ViltForQuestionAnswering + ViltProcessor (a classifier)."""

    model_id = "vqa/vilt-b32-vqa"

    def _load(self, folder: Path) -> None:
        from transformers import ViltForQuestionAnswering, ViltProcessor

        self._processor = ViltProcessor.from_pretrained(folder)
        self._model = load_weights(ViltForQuestionAnswering, folder)

    def answer(self, images: list[PILImage.Image], questions: list[str], *, top_k: int = 1) -> list[VQAResult]:
        import torch

        top_k = positive("top_k", top_k)
        self._check(images, questions)
        if not images:
            return []
        config = self._model.config
        # Truncate to the text positions ViLT has (40), whatever the tokenizer's own limit says.
        inputs = self._inputs(self._processor(images=[i.convert("RGB") for i in images], text=list(questions),
                                              padding=True, truncation=True,
                                              max_length=config.max_position_embeddings, return_tensors="pt"))
        with torch.inference_mode():
            probs = self._model(**inputs).logits.float().sigmoid()
        values, indices = probs.topk(min(top_k, probs.shape[-1]), dim=-1)
        return [VQAResult(question=q, answers=[Answer(config.id2label[int(i)], float(v)) for v, i in zip(vs, ix)])
                for q, vs, ix in zip(questions, values.tolist(), indices.tolist())]
