"""`mmzoo train tts`: the corpus, the frame stacking, and a tiny run whose checkpoint speaks through
the Griffin-Lim Tacotron2 (weights=)."""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner

import mmzoo
from mmzoo.data.sentences import HELD_OUT
from mmzoo.eval.asr import normalise
from mmzoo_tacotron2.corpus import Corpus, corpus_sentences
from mmzoo_tacotron2.features import SILENCE, BandNorm, log_mel, stack_frames, unstack_frames
from mmzoo_tacotron2.testing import StopEvery

torch.set_num_threads(1)


def test_corpus_sentences_are_distinct_repeatable_and_never_held_out():
    texts = corpus_sentences(400, seed=3)
    assert texts == corpus_sentences(400, seed=3) != corpus_sentences(400, seed=4)
    keys = [normalise(t) for t in texts]
    assert len(set(keys)) == 400 and not set(keys) & {normalise(s) for s in HELD_OUT}
    assert all(t[0].isupper() and t[-1] in ".?" and not any(c.isdigit() for c in t) for t in texts)
    from mmzoo.data.shapes import COLOURS

    assert all(any(c in normalise(t).split() for c in COLOURS) for t in texts[::2])  # every other one a Shapes caption


@pytest.mark.parametrize("r", [1, 2, 3])
def test_stacked_frames_unstack_to_the_original(r):
    mel = torch.randn(80, 11)
    stacked = stack_frames(mel, r)
    assert stacked.shape == (80 * r, -(-11 // r))
    back = unstack_frames(stacked[None], r)[0]
    assert torch.equal(back[:, :11], mel) and bool((back[:, 11:] == SILENCE).all())


def test_band_norm_standardises_each_band_and_inverts():
    mels = [torch.randn(80, 50) * torch.linspace(0.5, 3, 80)[:, None] - 4, torch.randn(80, 30) - 4]
    norm = BandNorm.fit(mels)
    standard = norm(torch.cat(mels, dim=1))
    assert standard.mean(dim=1).abs().max() < 1e-4 and (standard.std(dim=1) - 1).abs().max() < 1e-3
    again = BandNorm(**norm.to_dict())  # as stored in a checkpoint's config.json
    assert torch.allclose(again.inverse(standard[None])[0], torch.cat(mels, dim=1), atol=1e-3)


def test_log_mel_matches_the_griffin_lim_vocoder():
    """The vocoder inverts log_mel: a tone comes back at its own pitch."""
    import torchaudio

    rate, hz = 24_000, 440.0
    tone = torch.sin(2 * torch.pi * hz * torch.arange(rate) / rate) * 0.5
    mel = log_mel(tone, rate)  # resampled to 22.05 kHz
    assert mel.shape == (80, 1 + 22_050 // 256)
    vocoder = torchaudio.pipelines.TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH.get_vocoder()
    waveform, _ = vocoder(mel[None])
    spectrum = torch.fft.rfft(waveform[0]).abs()
    peak = float(torch.argmax(spectrum)) * 22_050 / len(waveform[0])
    assert abs(peak - hz) < 30


@pytest.mark.slow
def test_a_tiny_run_trains_resumes_and_speaks_through_the_tacotron2_loader(tmp_path):
    from mmzoo.cli import cli

    out = tmp_path / "run"
    args = ["train", "tts", "--out", str(out), "--sentences", "40", "--width", "16", "--batch-size", "4",
            "--frames-per-step", "3", "--device", "cpu"]
    first = CliRunner().invoke(cli, [*args, "--epochs", "1"])
    assert first.exit_code == 0, first.output
    corpus = Corpus.load(out / "corpus")
    assert len(corpus.texts) == 40 and corpus.voice == "heart" and all(m.shape[0] == 80 for m in corpus.mels)
    assert 1.0 < corpus.seconds / 40 < 8.0  # trimmed sentences of a few seconds each
    resumed = CliRunner().invoke(cli, [*args, "--epochs", "2"])
    assert resumed.exit_code == 0, resumed.output
    history = json.loads((out / "history.json").read_text())["epochs"]
    assert [r["epoch"] for r in history] == [1, 2] and all(r["val_loss"] > 0 and 0 <= r["stops"] <= 1 for r in history)
    assert history[1]["loss"] < history[0]["loss"]
    other = CliRunner().invoke(cli, [*args, "--epochs", "3", "--sentences", "41"])
    assert other.exit_code == 2 and "use another --out" in other.output  # the CLI's InvalidInput

    stored = json.loads((out / "best" / "config.json").read_text())
    assert stored["frames_per_step"] == 3 and len(stored["mel_norm"]["mean"]) == 80
    model = mmzoo.load("tts/tacotron2-griffinlim-char", weights=out / "best", device="cpu")
    assert model.norm is not None
    model.tacotron2.decoder.gate_layer = StopEvery(7)
    model.tacotron2.decoder.decoder_max_step = 10  # 7 steps are within it, though their 21 frames are not
    speech = mmzoo.run("tts", "A red circle.", model=model)
    assert speech.alignment.shape == (7, len("a red circle."))  # decoder steps x characters
    assert speech.mel.shape == (80, 7 * 3)  # three frames a step
    assert len(speech.waveform) == (7 * 3 - 1) * 256
    assert model.voices() == ["heart"] and speech.voice == "heart"  # it speaks as its teacher's voice
