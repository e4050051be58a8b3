"""Captioners: BLIP, GIT and ViT-GPT2, each one ``generate()`` call per batch of images.

Options of :meth:`caption` (the same for the three):

- ``num_captions``: captions per image, best first, each with a score (mean token log-probability).
- ``beam_size``: beams of beam search; 1 is greedy decoding. Several captions come from beam search,
  so ``num_captions > beam_size`` widens the search to ``num_captions`` beams (deterministic, distinct
  sequences, ranked by the same score) rather than sampling.
- ``max_length``: at most this many new tokens per caption.
- ``prompt``: a text prefix the caption continues (conditional captioning, BLIP and GIT only); the
  returned captions include it, as the models write them (lower-cased by their tokenizers).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmzoo.errors import InvalidInput
from mmzoo.tasks.caption import CaptionModel, CaptionResult

from .decoding import eos_token_ids, generate_with_scores
from .hub import TransformersModel, load_weights, positive

if TYPE_CHECKING:
    from PIL import Image as PILImage

MAX_LENGTH = 30  # new tokens: COCO captions are about 10 words


class Captioner(TransformersModel, CaptionModel):
    """What the three captioners share: options, batching, decoding and scores."""

    takes_prompt = True

    def caption(self, images: list[PILImage.Image], *, num_captions: int = 1, beam_size: int = 1,
                max_length: int = MAX_LENGTH, prompt: str | None = None) -> list[CaptionResult]:
        num_captions = positive("num_captions", num_captions)
        beam_size = positive("beam_size", beam_size)
        max_length = positive("max_length", max_length)
        prompt = " ".join(prompt.split()) if prompt else None
        if prompt and not self.takes_prompt:
            raise InvalidInput(f"{self.model_id} does not take a prompt (it captions from the image alone); "
                               f"use caption/blip-base or caption/git-base-coco for conditional captioning")
        if self._model is None:
            raise InvalidInput(f"{self.model_id} was closed; load it again")
        if not images:
            return []
        inputs = self._prepare([image.convert("RGB") for image in images], prompt)
        sequences, scores = generate_with_scores(
            self._model.generate, inputs, eos_ids=self._eos_ids(), num_beams=max(beam_size, num_captions),
            num_return=num_captions, max_new_tokens=max_length, length_penalty=1.0)
        texts = [t.strip() for t in self._tokenizer.batch_decode(sequences, skip_special_tokens=True)]
        return [CaptionResult(captions=texts[i:i + num_captions], scores=scores[i:i + num_captions])
                for i in range(0, len(texts), num_captions)]

    def _prepare(self, images: list[PILImage.Image], prompt: str | None) -> dict[str, Any]:
        raise NotImplementedError  # pragma: no cover

    def _eos_ids(self) -> list[int]:
        return eos_token_ids(self._model.generation_config.eos_token_id, self._tokenizer.eos_token_id)


class BlipCaptioner(Captioner):
    """``Salesforce/blip-image-captioning-base``: BlipForConditionalGeneration + BlipProcessor."""

    model_id = "caption/blip-base"

    def _load(self, folder: Path) -> None:
        from transformers import BlipForConditionalGeneration, BlipProcessor

        self._processor = BlipProcessor.from_pretrained(folder)
        self._tokenizer = self._processor.tokenizer
        self._model = load_weights(BlipForConditionalGeneration, folder)

    def _prepare(self, images: list[PILImage.Image], prompt: str | None) -> dict[str, Any]:
        # BLIP's generate() swaps the tokenizer's [CLS] for its decoder's BOS and drops the final [SEP]
        # itself; one prompt for every image keeps the rows the same length (no padding).
        text = [prompt] * len(images) if prompt else None
        return self._inputs(self._processor(images=images, text=text, return_tensors="pt"))

    def _eos_ids(self) -> list[int]:
        return [self._model.config.text_config.sep_token_id]  # what BLIP's generate() stops on


class GitCaptioner(Captioner):
    """``microsoft/git-base-coco``: GitForCausalLM (AutoModelForCausalLM) + GitProcessor (AutoProcessor)."""

    model_id = "caption/git-base-coco"

    def _load(self, folder: Path) -> None:
        from transformers import AutoModelForCausalLM, AutoProcessor

        self._processor = AutoProcessor.from_pretrained(folder)
        self._tokenizer = self._processor.tokenizer
        self._model = load_weights(AutoModelForCausalLM, folder)

    def _prepare(self, images: list[PILImage.Image], prompt: str | None) -> dict[str, Any]:
        import torch

        pixels = self._processor(images=images, return_tensors="pt")
        # GIT decodes from [CLS]; a prompt follows it without the tokenizer's closing [SEP] (which
        # would end the caption), as in the model's documentation.
        prefix = self._tokenizer(prompt, add_special_tokens=False).input_ids if prompt else []
        ids = torch.tensor([[self._tokenizer.cls_token_id, *prefix]] * len(images), dtype=torch.long)
        pixels["input_ids"] = ids
        return self._inputs(pixels)


class VitGpt2Captioner(Captioner):
    """``nlpconnect/vit-gpt2-image-captioning``: VisionEncoderDecoderModel + ViTImageProcessor + AutoTokenizer."""

    model_id = "caption/vit-gpt2"
    takes_prompt = False

    def _load(self, folder: Path) -> None:
        from transformers import AutoTokenizer, VisionEncoderDecoderModel, ViTImageProcessor

        self._image_processor = ViTImageProcessor.from_pretrained(folder)
        self._tokenizer = AutoTokenizer.from_pretrained(folder)
        self._model = load_weights(VisionEncoderDecoderModel, folder)

    def _prepare(self, images: list[PILImage.Image], prompt: str | None) -> dict[str, Any]:
        return self._inputs(self._image_processor(images=images, return_tensors="pt"))

    def _eos_ids(self) -> list[int]:
        return eos_token_ids(self._model.generation_config.eos_token_id, self._model.config.decoder.eos_token_id,
                             self._tokenizer.eos_token_id)
