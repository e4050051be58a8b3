"""The recipes: short runs lower the loss, checkpoint every epoch, resume, and run from the CLI."""

from __future__ import annotations

import json

import pytest

import mmzoo
from mmzoo.data.readers import read_coco_captions, read_vqa
from mmzoo_classic_vl.train import TrainConfig, train_captioner, train_vqa

SMALL = {"channels": 32, "hidden_dim": 64, "embed_dim": 32, "attention_dim": 32}


def captions(root, split):
    return read_coco_captions(root / "annotations" / f"captions_{split}.json", root / "images")


def questions(root, split):
    return read_vqa(root / "vqa" / f"{split}_questions.json", root / "vqa" / f"{split}_annotations.json",
                    root / "images", image_pattern="{data_subtype}/{image_id:06d}.png")


def test_captioner_training_lowers_the_loss_and_checkpoints_every_epoch(world, tmp_path):
    config = TrainConfig(epochs=3, batch_size=8, lr=3e-3, device="cpu")
    _, vocab, history = train_captioner(captions(world, "train"), captions(world, "val"), config, SMALL,
                                        out=tmp_path, progress=False)
    assert history[-1]["loss"] < history[0]["loss"] - 0.5
    assert all({"BLEU-4", "CIDEr-D"} <= set(r) for r in history)
    assert all((tmp_path / f"epoch-{e}" / "model.safetensors").is_file() for e in (1, 2, 3))
    assert json.loads((tmp_path / "epoch-3" / "vocab.json").read_text()) == vocab.words
    model = mmzoo.load("caption/shapes-sat", weights=tmp_path / "epoch-3")
    assert mmzoo.run("caption", captions(world, "val")[0].image, model=model).captions


def test_captioner_training_resumes_and_keeps_the_best_epoch(world, tmp_path):
    config = TrainConfig(epochs=1, batch_size=8, lr=3e-3, device="cpu")
    *_, first = train_captioner(captions(world, "train"), captions(world, "val"), config, SMALL, out=tmp_path,
                                progress=False)
    *_, resumed = train_captioner(captions(world, "train"), captions(world, "val"),
                                  TrainConfig(**{**config.__dict__, "epochs": 2}), SMALL, out=tmp_path, progress=False)
    assert [r["epoch"] for r in resumed] == [1, 2] and resumed[:1] == first  # epoch 1 not retrained
    best = max(resumed, key=lambda r: r["CIDEr-D"])["epoch"]
    assert (tmp_path / "best" / "model.safetensors").read_bytes() == \
        (tmp_path / f"epoch-{best}" / "model.safetensors").read_bytes()
    assert json.loads((tmp_path / "config.json").read_text())["recipe"]["model"]["hidden_dim"] == SMALL["hidden_dim"]


def test_captioner_training_on_a_frozen_pretrained_encoder(world, tmp_path):
    from mmzoo.errors import InvalidInput

    config = TrainConfig(epochs=2, batch_size=8, lr=3e-3, device="cpu")
    settings = {**SMALL, "encoder": "efficientnet-lite0:blocks5", "image_size": 64}
    model, _, history = train_captioner(captions(world, "train"), captions(world, "val"), config, settings,
                                        out=tmp_path, progress=False)
    assert history[-1]["loss"] < history[0]["loss"]
    assert model.config.channels == 112 and model.encoder.grid == 4  # stage 5: 112 channels, stride 16
    assert not any(name.startswith("encoder.") for name in model.state_dict())  # rebuilt from its package at load
    loaded = mmzoo.load("caption/shapes-sat", weights=tmp_path / "epoch-2")
    result = mmzoo.run("caption", captions(world, "val")[0].image, model=loaded)
    assert result.captions and result.attention[0].shape == (4, 4)
    with pytest.raises(InvalidInput, match="frozen"):  # no CNN to start a VQA model from
        train_vqa(questions(world, "train"), questions(world, "val"), config,
                  {"channels": 32, "hidden_dim": 64, "joint_dim": 128, "image_encoder": str(tmp_path / "epoch-2")},
                  progress=False)


def test_vqa_training_lowers_the_loss_and_resumes(world, tmp_path):
    train_items, val_items = questions(world, "train"), questions(world, "val")
    config = TrainConfig(epochs=2, batch_size=8, lr=2e-3, device="cpu")
    small = {"channels": 32, "hidden_dim": 64, "joint_dim": 128}
    _, _, answers, history = train_vqa(train_items, val_items, config, small, out=tmp_path, progress=False)
    assert history[-1]["loss"] < history[0]["loss"]
    assert 0 <= history[-1]["accuracy"] <= 1 and "accuracy/yes/no" in history[-1]
    resumed = train_vqa(train_items, val_items, TrainConfig(**{**config.__dict__, "epochs": 3}), small, out=tmp_path,
                        progress=False)[-1]
    assert [r["epoch"] for r in resumed] == [1, 2, 3] and resumed[:2] == history  # epochs 1-2 not retrained
    assert resumed[2]["loss"] < history[0]["loss"]


@pytest.mark.parametrize("fusion, mass, direct", [("attention", False, False), ("glimpses", False, False),
                                                  ("glimpses", False, True), ("glimpses", True, True)])
def test_vqa_training_with_question_aware_fusion_on_a_frozen_encoder(world, tmp_path, fusion, mass, direct):
    config = TrainConfig(epochs=2, batch_size=8, lr=2e-3, device="cpu")
    settings = {"hidden_dim": 64, "joint_dim": 128, "encoder": "efficientnet-lite0:blocks5", "image_size": 64,
                "fusion": fusion, "glimpse_mass": mass, "glimpse_direct": direct}
    model, _, _, history = train_vqa(questions(world, "train"), questions(world, "val"), config, settings,
                                     out=tmp_path, progress=False)
    assert history[-1]["loss"] < history[0]["loss"]
    assert model.encoder.grid == 4 and not any(name.startswith("encoder.") for name in model.state_dict())
    loaded = mmzoo.load("vqa/shapes-joint", weights=tmp_path / "epoch-2")
    assert (loaded.net.config.glimpse_direct, loaded.net.config.glimpse_mass) == (direct, mass)
    item = questions(world, "val")[0]
    answers = mmzoo.run("vqa", item.image, item.question, model=loaded, top_k=3).answers
    assert len(answers) == 3 and abs(sum(a.score for a in answers)) <= 1 + 1e-6


@pytest.mark.parametrize("task, metric", [("caption", "CIDEr-D"), ("vqa", "accuracy")])
def test_mmzoo_train_runs_the_recipe(task, metric, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from mmzoo.cli import cli

    monkeypatch.setenv("MMZOO_HOME", str(tmp_path / "home"))
    args = ["train", task, "--data", "shapes?n=40&seed=3", "--out", str(tmp_path / "run"), "--epochs", "1",
            "--batch-size", "8", "--device", "cpu"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{\"")]
    assert [r["epoch"] for r in records] == [1] and metric in records[0]
    assert (tmp_path / "run" / "epoch-1" / "model.safetensors").is_file()
    bad = CliRunner().invoke(cli, [*args[:-2], "--device", "cpu", "--epochs", "0"])
    assert bad.exit_code == 2 and "epochs" in bad.output


def test_bad_vqa_model_settings_are_refused():
    from mmzoo_classic_vl.joint_vqa import JointVQAConfig

    with pytest.raises(ValueError, match="fusion must be one of flatten, attention, glimpses"):
        JointVQAConfig(vocab_size=10, num_answers=3, fusion="film")
    with pytest.raises(ValueError, match="glimpses must be at least 1"):
        JointVQAConfig(vocab_size=10, num_answers=3, fusion="glimpses", glimpses=0)
