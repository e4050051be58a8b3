"""The matcher as an mmzoo model: loading, embeddings against the matchmap, both directions, refusals."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
import soundfile
import torch
from PIL import Image

import mmzoo
from mmzoo.errors import InvalidInput, WeightsUnavailable
from mmzoo.testing import asset, mmzoo_cli
from mmzoo_davenet.matcher import CALIBRATION, Matcher, MatcherConfig

MODEL = "avmatch/shapes-davenet"


def tiny_checkpoint(folder, floor: float | None = None, **settings):
    torch.manual_seed(0)
    config = MatcherConfig(**{"audio_widths": [8, 8, 8, 8, 16], "image_encoder": "cnn", "image_size": 32,
                              "cnn_channels": 8, "dim": 16, **settings})
    files = {CALIBRATION: {"score_floor": floor}} if floor is not None else None
    Matcher(config).eval().save(folder, files)
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    folder = tmp_path_factory.mktemp("media")
    wavs = sorted(str(p) for p in asset("avmatch").glob("*.wav"))  # real spoken captions (espeak-ng)
    t = np.arange(16000 * 2) / 16000
    tone = folder / "tone.wav"
    soundfile.write(tone, (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000)
    images = []
    for n, colour in enumerate(((220, 30, 30), (30, 160, 50), (40, 60, 200), (240, 200, 30))):
        path = folder / f"image{n}.png"
        picture = Image.new("RGB", (64, 64), (235, 235, 235))
        picture.paste(colour, (8 * n, 8 * n, 8 * n + 24, 8 * n + 24))
        picture.save(path)
        images.append(str(path))
    silent = folder / "silent.wav"
    soundfile.write(silent, np.zeros(16000, dtype=np.float32), 16000)
    return {"wavs": wavs, "images": images, "silent": str(silent), "tone": str(tone)}


def test_regions_and_frames_are_unit_vectors_at_the_encoders_rates():
    model = Matcher(MatcherConfig(audio_widths=[8, 8, 8, 8, 16], image_encoder="cnn", image_size=32,
                                  cnn_channels=8, dim=16)).eval()
    regions = model.image_regions(torch.rand(2, 3, 32, 32) * 2 - 1)
    assert regions.shape == (2, 16, 4, 4)
    assert torch.allclose(regions.norm(dim=1), torch.ones(2, 4, 4), atol=1e-5)
    frames, lengths = model.audio_frames(torch.randn(3, 40, 100), torch.tensor([100, 50, 17]))
    assert frames.shape == (3, 16, 7) and lengths.tolist() == [7, 4, 2]  # ceil(T / 16)
    assert torch.allclose(frames.norm(dim=1), torch.ones(3, 7), atol=1e-5)


def test_the_model_loads_through_its_id_and_refuses_a_folder_without_a_checkpoint(tiny, tmp_path):
    model = mmzoo.load(MODEL, weights=tiny)
    assert model.net.config.dim == 16 and model.score_floor() is None
    assert model.frame_seconds() == pytest.approx(16 * 0.01)
    with pytest.raises(WeightsUnavailable, match="mmzoo train avmatch"):
        mmzoo.load(MODEL, weights=tmp_path)


def test_similarity_is_the_misa_pooled_matchmap_and_batches_change_nothing(tiny, media):
    model = mmzoo.load(MODEL, weights=tiny)
    audios = [mmzoo.media.load_audio(w) for w in media["wavs"]]
    pictures = [Image.open(p) for p in media["images"]]
    scores = model.similarity(model.embed_audio(audios), model.embed_images(pictures))
    assert scores.shape == (3, 4)
    for a, audio in enumerate(audios):
        for i, picture in enumerate(pictures):
            matchmap = model.matchmap(audio, picture)  # (frames, grid, grid)
            assert matchmap.shape[1:] == (4, 4)
            slow = matchmap.reshape(len(matchmap), -1).max(axis=1).mean()  # MISA: best region per frame, averaged
            assert scores[a, i] == pytest.approx(slow, abs=1e-5)
    one_by_one = np.concatenate([model.similarity(model.embed_audio([a]), model.embed_images(pictures)) for a in audios])
    assert np.allclose(one_by_one, scores, atol=1e-5)


def test_run_ranks_images_for_a_caption_and_captions_for_an_image(tiny, media):
    model = mmzoo.load(MODEL, weights=tiny)
    result = mmzoo.run("avmatch", audio=media["wavs"][0], images=media["images"], k=3, model=model)
    scores = model.similarity(model.embed_audio([mmzoo.media.load_audio(media["wavs"][0])]),
                              model.embed_images([Image.open(p) for p in media["images"]]))[0]
    assert [h.index for h in result.hits] == list(np.argsort(-scores)[:3])
    assert result.matchmap.shape[1:] == (4, 4) and result.frame_seconds == pytest.approx(0.16)
    assert result.confident and result.to_dict()["matchmap_shape"] == list(result.matchmap.shape)
    back = mmzoo.run("avmatch", image=media["images"][1], audios=media["wavs"], k=5, model=model)
    assert len(back.hits) == 3 and back.hits[0].score >= back.hits[-1].score
    assert sorted(h.index for h in back.hits) == [0, 1, 2]


def test_silence_is_refused_and_a_weak_best_match_is_not_confident(tiny, media, tmp_path):
    model = mmzoo.load(MODEL, weights=tiny)
    with pytest.raises(InvalidInput, match="silent"):
        mmzoo.run("avmatch", audio=media["silent"], images=media["images"], model=model)
    with pytest.raises(InvalidInput, match="no speech found"):  # loud, but a tone: no heatmap for it
        mmzoo.run("avmatch", audio=media["tone"], images=media["images"], model=model)
    back = mmzoo.run("avmatch", image=media["images"][0], audios=[media["tone"], *media["wavs"]], model=model)
    assert len(back.hits) == 4  # the gallery is not a query: any sound may be ranked
    strict = mmzoo.load(MODEL, weights=tiny_checkpoint(tmp_path / "strict", floor=2.0))  # cosines never reach 2
    result = mmzoo.run("avmatch", audio=media["wavs"][0], images=media["images"], model=strict)
    assert strict.score_floor() == 2.0 and not result.confident and result.to_dict()["confident"] is False


def test_cli_runs_both_directions_as_json(tiny, media):
    env = dict(os.environ)
    images = [arg for path in media["images"] for arg in ("--images", path)]
    done = mmzoo_cli(env, "run", "avmatch", "--audio", media["wavs"][0], *images, "-k", "2", "--json",
                     "-m", MODEL, "--weights", str(tiny))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert len(out["hits"]) == 2 and out["matchmap_shape"][1:] == [4, 4]
    audios = [arg for path in media["wavs"] for arg in ("--audios", path)]
    done = mmzoo_cli(env, "run", "avmatch", "--image", media["images"][0], *audios, "--json", "-m", MODEL,
                     "--weights", str(tiny))
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["hits"]) == 3


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
@pytest.mark.parametrize("voices", ["heard", "unheard"])
def test_eval_reports_recall_both_ways_and_localisation_on_shapes(tiny, shapes_world, monkeypatch, voices):
    from mmzoo.data.specs import DataSpec
    from mmzoo.evaluate import evaluate

    root = shapes_world(n=60, seed=2, audio=True)
    monkeypatch.setattr(DataSpec, "shapes_root", lambda self: root)
    report = evaluate("avmatch", model=MODEL, weights=tiny, data=f"shapes:test?voices={voices}", progress=False)
    assert report.samples == 5 * 6  # six test scenes, five spoken captions each
    for key in ("audio->image_R@1", "audio->image_R@10", "image->audio_R@10", "loc_hit_single", "loc_hit_multi"):
        assert key in report.metrics
    assert report.metrics["audio->image_R@10"] == 1.0  # ten or more of six images: every caption finds its own
    assert any("localisation" in note for note in report.notes)
