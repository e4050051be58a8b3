"""`mmzoo eval tts`: held-out sentences spoken, transcribed by the packaged recogniser, scored."""

from __future__ import annotations

import numpy as np
import pytest

import mmzoo
from mmzoo.data.sentences import EVERYDAY, HELD_OUT, SHAPES
from mmzoo.eval.asr import Transcriber, intelligibility, normalise
from mmzoo.evaluate import evaluate
from mmzoo.testing import mmzoo_cli


def test_normalise_and_intelligibility():
    assert normalise("Two blue squares, aren't they? 'Yes'!") == "2 blue squares aren't they yes"
    assert intelligibility(["Two red stars."], ["2 red stars"]) == {"CER": 0.0, "WER": 0.0}
    assert intelligibility(["a red star"], ["a red car"])["WER"] == pytest.approx(1 / 3)


def test_the_sentences_are_fixed_and_have_no_digits():
    assert len(HELD_OUT) == len(SHAPES) + len(EVERYDAY) >= 50 and len(set(HELD_OUT)) == len(HELD_OUT)
    assert not any(c.isdigit() for s in HELD_OUT for c in s)


@pytest.fixture(scope="module")
def listen():
    return Transcriber()


def test_the_recogniser_hears_clear_speech_and_not_silence(listen):
    speech = mmzoo.run("tts", "The library opens early on weekdays.")
    assert normalise(listen(speech.waveform, speech.sample_rate)) == "the library opens early on weekdays"
    assert listen(np.zeros(16_000, np.float32), 16_000).strip(" .") == ""


def test_eval_tts_scores_the_default_voice_and_espeak(tmp_path):
    report = evaluate("tts", limit=4, progress=False)
    assert report.model == "tts/hibari" and report.samples == 4
    assert report.metrics["WER"] <= 0.2 and report.metrics["x_real_time"] > 1
    assert "moonshine" in report.notes[0]
    out = mmzoo_cli(None, "eval", "tts", "-m", "tts/espeak-ng", "--limit", "2", "-O", "rate=200")
    assert out.returncode == 0, out.stderr
    assert "WER" in out.stdout and "rate=200" in out.stdout


def test_eval_tts_refuses_data_it_does_not_use(tmp_path):
    with pytest.raises(mmzoo.InvalidInput, match="fixed held-out sentences"):
        evaluate("tts", data=str(tmp_path), progress=False)
