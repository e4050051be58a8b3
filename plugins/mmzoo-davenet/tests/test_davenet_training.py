"""The recipes on a small spoken Shapes world: the matcher learns (R@10 both ways), SoundNet learns
from the image network and starts a matcher, and the commands check what they are given."""

from __future__ import annotations

import json
import os
import shutil

import pytest
import torch

from mmzoo.data.readers import read_spoken_captions
from mmzoo.errors import InvalidInput
from mmzoo.testing import mmzoo_cli
from mmzoo_davenet.matcher import Matcher, MatcherConfig
from mmzoo_davenet.train import LossConfig, MatcherRecipe, TrainConfig, train_matcher

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")

SMALL = {"audio_widths": [32, 64, 64, 128, 128], "image_encoder": "efficientnet-lite0:blocks5", "image_size": 128,
         "dim": 128}


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    """300 training and 100 validation scenes, five spoken captions each (fewer scenes overfit: the
    voices are learnt, not the words)."""
    from mmzoo.data.shapes import generate

    root = tmp_path_factory.mktemp("spoken") / "world"
    generate(root, n=400, seed=11, splits=(0.75, 0.25, 0.0), ocr=False, workers=2)
    return root, read_spoken_captions(root / "spoken_captions_train.json"), \
        read_spoken_captions(root / "spoken_captions_val.json")


def r10(history_or_metrics):
    return history_or_metrics["audio->image_R@10"], history_or_metrics["image->audio_R@10"]


def test_a_short_run_raises_recall_at_10_both_ways(spoken, tmp_path):
    _, train, val = spoken
    torch.manual_seed(0)
    untrained = MatcherRecipe(Matcher(MatcherConfig(**SMALL)), train, val, torch.device("cpu"), LossConfig(),
                              progress=False).validate()
    _, history = train_matcher(train, val, TrainConfig(epochs=8, batch_size=32, lr=3e-3), MatcherConfig(**SMALL), LossConfig(),
                               tmp_path / "run", progress=False)
    before, after = r10(untrained), r10(history[-1])
    assert after[0] > before[0] + 0.2 and after[1] > before[1] + 0.2, (before, after)
    calibration = json.loads((tmp_path / "run" / "best" / "calibration.json").read_text())
    assert -1 <= calibration["score_floor"] <= 1 and calibration["captions"] == len(val)


@pytest.mark.parametrize("negatives", ["sampled", "semi-hard"])
def test_the_triplet_loss_trains_with_its_imposters(spoken, negatives):
    _, train, val = spoken
    _, history = train_matcher(train[:96], val[:40], TrainConfig(epochs=2, batch_size=16),
                               MatcherConfig(**SMALL), LossConfig("triplet", negatives=negatives, warmup_epochs=1),
                               progress=False)
    assert history[1]["loss"] < history[0]["loss"] * 1.5 and all(r["loss"] > 0 for r in history)


def test_soundnet_learns_the_image_networks_classes_and_starts_a_matcher(spoken, tmp_path):
    from mmzoo.train import fit, read_weights
    from mmzoo_davenet.soundnet import SoundNetConfig, SoundNetRecipe, load_soundnet_features
    from mmzoo_davenet.soundnet import TrainConfig as SoundNetTraining

    root, train, val = spoken
    torch.manual_seed(0)
    recipe = SoundNetRecipe(SoundNetConfig(), train[:500], val[:200], torch.device("cpu"), progress=False)
    untrained = recipe.validate()
    history = fit(recipe, SoundNetTraining(epochs=2, batch_size=16), tmp_path / "sn", progress=False)
    assert history[-1]["val_loss"] < untrained["val_loss"], (untrained, history)

    started = Matcher(MatcherConfig(audio_encoder="soundnet", image_encoder="cnn", image_size=32))
    load_soundnet_features(tmp_path / "sn" / "best", started.audio)
    assert torch.equal(started.audio.net[0].weight, read_weights(tmp_path / "sn" / "best")["net.0.weight"])
    with pytest.raises(InvalidInput, match="--soundnet-scale 0.25"):
        load_soundnet_features(tmp_path / "sn" / "best",
                               Matcher(MatcherConfig(audio_encoder="soundnet", soundnet_scale=0.5,
                                                     image_encoder="cnn", image_size=32)).audio)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = mmzoo_cli(env, "train", "avmatch", "--data", root / "spoken_captions_val.json", "--val-data",
                     root / "spoken_captions_val.json", "--out", tmp_path / "av", "--audio-encoder", "soundnet",
                     "--audio-init", tmp_path / "sn" / "best", "--image-encoder", "cnn", "--image-size", "32",
                     "--epochs", "1", "--batch-size", "32", timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[0])["epoch"] == 1


def test_the_command_refuses_bad_settings_before_reading_data(tmp_path):
    env = dict(os.environ)
    done = mmzoo_cli(env, "train", "avmatch", "--out", tmp_path / "x", "--audio-widths", "8,8")
    assert done.returncode != 0 and "five convolutions" in done.stderr
    done = mmzoo_cli(env, "train", "avmatch", "--out", tmp_path / "x", "--image-encoder", "vgg")
    assert done.returncode != 0 and "unknown image encoder" in done.stderr
