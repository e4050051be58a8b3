"""Training on the Shapes world: the loss goes down, every epoch is checkpointed and scored, and a
run resumes from its last checkpoint. (That a short CPU run also raises Recall@1 over the untrained
model is not shown yet: from random towers it needs far more steps than a test can afford.)"""

from __future__ import annotations

import json

import pytest
import torch

from mmzoo.data import shapes
from mmzoo.data.readers import read_coco_captions
from mmzoo_bert_resnet.model import DualEncoder, DualEncoderConfig
from mmzoo_bert_resnet.train import TrainConfig, recall, train


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes")
    shapes.generate(root, n=120, seed=3, audio=False, ocr=False, workers=1)
    load = lambda split: read_coco_captions(root / "annotations" / f"captions_{split}.json", root / "images")
    return load("train"), load("val")


@pytest.fixture(scope="module")
def towers(write_towers, world):
    """Tiny random towers whose vocabulary covers the Shapes captions."""
    words = sorted({w for item in world[0] + world[1] for c in item.captions for w in shapes.tokenize(c)})
    return write_towers(words, 64)


def fresh_model(towers) -> DualEncoder:
    torch.manual_seed(0)
    return DualEncoder.from_towers(DualEncoderConfig(text_model=str(towers / "bert"), image_model="resnet18",
                                                     image_weights=str(towers / "resnet18.safetensors"),
                                                     embed_dim=64, image_size=32))


def test_training_lowers_the_loss_and_checkpoints_every_epoch(world, towers, tmp_path):
    train_items, val_items = world
    model = fresh_model(towers)
    history = train(model, train_items, val_items, TrainConfig(epochs=3, batch_size=32, lr=1e-3, negatives="all"),
                    out=tmp_path, progress=False)
    assert history[-1]["loss"] < history[0]["loss"]
    assert all({"t2i_R@1", "i2t_R@10", "rsum"} <= set(record) for record in history)
    saved = json.loads((tmp_path / "history.json").read_text())
    assert [e["epoch"] for e in saved["epochs"]] == [1, 2, 3] and saved["train"]["negatives"] == "all"
    assert all((tmp_path / f"epoch-{e}" / "model.safetensors").is_file() for e in (1, 2, 3))
    reloaded = recall(DualEncoder.load(tmp_path / "epoch-3"), val_items)
    assert reloaded["rsum"] == pytest.approx(history[-1]["rsum"])


def test_training_resumes_from_the_last_checkpoint(world, towers, tmp_path):
    train_items, val_items = world
    config = TrainConfig(epochs=1, batch_size=32, lr=1e-3, loss="infonce")
    train(fresh_model(towers), train_items, val_items, config, out=tmp_path, progress=False)
    resumed = train(fresh_model(towers), train_items, val_items, TrainConfig(**{**config.__dict__, "epochs": 2}),
                    out=tmp_path, progress=False)
    assert [r["epoch"] for r in resumed] == [1, 2]  # epoch 1 came from the checkpoint, not retrained


def test_bad_training_settings():
    with pytest.raises(ValueError, match="negatives"):
        TrainConfig(negatives="random")
    with pytest.raises(ValueError, match="loss"):
        TrainConfig(loss="contrastive")
