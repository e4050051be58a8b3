"""Tiny random towers for the dual-encoder tests, written the way real ones are published."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import pytest
import torch

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@pytest.fixture(scope="session")
def write_towers(tmp_path_factory) -> Callable[[Sequence[str], int], Path]:
    """``write_towers(words, hidden_size)`` -> a folder with ``bert/`` (a 2-layer random BERT and its
    tokenizer, save_pretrained) and ``resnet18.safetensors`` (a random ResNet-18 state dict)."""
    from safetensors.torch import save_file
    from torchvision.models import resnet18
    from transformers import BertConfig, BertModel, BertTokenizerFast

    def write(words: Sequence[str], hidden_size: int) -> Path:
        root = tmp_path_factory.mktemp("towers")
        vocab = [*SPECIAL_TOKENS, *(w for w in words if w not in SPECIAL_TOKENS)]
        (root / "vocab.txt").write_text("\n".join(vocab) + "\n")
        BertTokenizerFast(vocab_file=str(root / "vocab.txt")).save_pretrained(root / "bert")
        torch.manual_seed(0)
        BertModel(BertConfig(vocab_size=len(vocab), hidden_size=hidden_size, num_hidden_layers=2,
                             num_attention_heads=2, intermediate_size=2 * hidden_size,
                             max_position_embeddings=64)).save_pretrained(root / "bert")
        save_file(resnet18(weights=None).state_dict(), root / "resnet18.safetensors")
        return root

    return write


@pytest.fixture(scope="session")
def world(shapes_world):
    """(train, val) caption items of a small Shapes world."""
    from mmzoo.data.readers import read_coco_captions

    root = shapes_world(n=120, seed=3)
    load = lambda split: read_coco_captions(root / "annotations" / f"captions_{split}.json", root / "images")
    return load("train"), load("val")


@pytest.fixture(scope="session")
def towers(write_towers, world):
    """Tiny random towers whose vocabulary covers the Shapes captions of ``world``."""
    from mmzoo.data import shapes

    words = sorted({w for item in world[0] + world[1] for c in item.captions for w in shapes.tokenize(c)})
    return write_towers(words, 64)
