"""Tiny random-weight versions of the wrapped models, saved with save_pretrained (model + processor)
so tests load them through the same code as the hub ids, offline and in well under a second each."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import mmzoo

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]", "a", "red", "blue", "green", "circle", "square",
         "triangle", "on", "the", "left", "right", "what", "colour", "is", "?", "how", "many", "shapes", "are",
         "there", "two", "one", "yes", "no", "photo", "of"]
LABELS = ["red", "blue", "green", "circle", "square", "yes", "no"]
SMALL = {"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 1, "num_attention_heads": 2}
VISION = {**SMALL, "image_size": 32, "patch_size": 16}


def bert_tokenizer(**kwargs):
    from transformers import BertTokenizer

    return BertTokenizer(vocab={w: i for i, w in enumerate(WORDS)}, **kwargs)


def gpt2_tokenizer():
    """A byte-level BPE tokenizer with the 256 byte symbols and no merges: any text encodes."""
    from transformers import GPT2Tokenizer
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    vocab = {symbol: i for i, symbol in enumerate(bytes_to_unicode().values())}
    vocab["<|endoftext|>"] = len(vocab)
    return GPT2Tokenizer(vocab=vocab, merges=[])


def blip_config():
    from transformers import BlipConfig

    ids = {w: i for i, w in enumerate(WORDS)}
    text = {**SMALL, "vocab_size": len(WORDS), "max_position_embeddings": 64, "bos_token_id": ids["[DEC]"],
            "eos_token_id": ids["[SEP]"], "sep_token_id": ids["[SEP]"], "pad_token_id": ids["[PAD]"]}
    return BlipConfig(text_config=text, vision_config=VISION, projection_dim=16, image_text_hidden_size=16)


def blip_processor():
    from transformers import BlipImageProcessor, BlipProcessor

    return BlipProcessor(image_processor=BlipImageProcessor(size={"height": 32, "width": 32}),
                         tokenizer=bert_tokenizer(bos_token="[DEC]"))


def save(folder: Path, model, *processors) -> Path:
    model.save_pretrained(folder)
    for processor in processors:
        processor.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def blip_folder(tmp_path_factory) -> Path:
    from transformers import BlipForConditionalGeneration

    torch.manual_seed(0)
    return save(tmp_path_factory.mktemp("blip"), BlipForConditionalGeneration(blip_config()).eval(), blip_processor())


@pytest.fixture(scope="session")
def blip_vqa_folder(tmp_path_factory) -> Path:
    from transformers import BlipForQuestionAnswering

    torch.manual_seed(1)
    return save(tmp_path_factory.mktemp("blip-vqa"), BlipForQuestionAnswering(blip_config()).eval(), blip_processor())


@pytest.fixture(scope="session")
def git_folder(tmp_path_factory) -> Path:
    from transformers import CLIPImageProcessor, GitConfig, GitForCausalLM, GitProcessor

    torch.manual_seed(2)
    config = GitConfig(vision_config=VISION, **SMALL, vocab_size=len(WORDS), max_position_embeddings=64,
                       bos_token_id=WORDS.index("[CLS]"), eos_token_id=WORDS.index("[SEP]"), pad_token_id=0)
    processor = GitProcessor(image_processor=CLIPImageProcessor(size={"shortest_edge": 32},
                                                                crop_size={"height": 32, "width": 32}),
                             tokenizer=bert_tokenizer())
    return save(tmp_path_factory.mktemp("git"), GitForCausalLM(config).eval(), processor)


@pytest.fixture(scope="session")
def vit_gpt2_folder(tmp_path_factory) -> Path:
    from transformers import (GPT2Config, VisionEncoderDecoderConfig, VisionEncoderDecoderModel, ViTConfig,
                              ViTImageProcessor)

    torch.manual_seed(3)
    tokenizer = gpt2_tokenizer()
    end = tokenizer.eos_token_id
    decoder = GPT2Config(vocab_size=len(tokenizer), n_embd=32, n_layer=1, n_head=2, n_positions=64,
                         bos_token_id=end, eos_token_id=end, is_decoder=True, add_cross_attention=True)
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(ViTConfig(**VISION), decoder)
    config.decoder_start_token_id = config.pad_token_id = end  # as in nlpconnect/vit-gpt2-image-captioning
    model = VisionEncoderDecoderModel(config=config).eval()
    model.generation_config.update(decoder_start_token_id=end, pad_token_id=end, eos_token_id=end)
    return save(tmp_path_factory.mktemp("vit-gpt2"), model,
                ViTImageProcessor(size={"height": 32, "width": 32}), tokenizer)


@pytest.fixture(scope="session")
def vilt_folder(tmp_path_factory) -> Path:
    from transformers import ViltConfig, ViltForQuestionAnswering, ViltImageProcessor, ViltProcessor

    torch.manual_seed(4)
    config = ViltConfig(**VISION, vocab_size=len(WORDS), max_position_embeddings=40,
                        id2label=dict(enumerate(LABELS)), label2id={a: i for i, a in enumerate(LABELS)})
    processor = ViltProcessor(image_processor=ViltImageProcessor(size={"shortest_edge": 32}, size_divisor=16),
                              tokenizer=bert_tokenizer())
    return save(tmp_path_factory.mktemp("vilt"), ViltForQuestionAnswering(config).eval(), processor)


@pytest.fixture(scope="session")
def images() -> list[Image.Image]:
    rng = np.random.default_rng(0)
    sizes = [(32, 32), (64, 40), (20, 50), (48, 48)]
    return [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for w, h in sizes] + [
        Image.new("L", (40, 40), 128)]  # greyscale: converted to RGB


@pytest.fixture(scope="session", autouse=True)
def _unload():
    yield
    mmzoo.clear_cache()
