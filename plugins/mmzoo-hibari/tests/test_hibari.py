"""tts/hibari: the offline neural default voice, its options, the other voices offline, weights=."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

import mmzoo
from mmzoo.errors import InvalidInput, WeightsUnavailable
from mmzoo.testing import mmzoo_cli

TEXT = "Please call Stella and ask her to bring three red apples."


@pytest.fixture(scope="module")
def hibari():
    return mmzoo.load("tts/hibari")


def test_it_is_the_tts_default_and_speaks_offline(hibari):
    assert mmzoo.models("tts")[0].id == "tts/hibari"
    speech = mmzoo.run("tts", TEXT)
    assert speech.sample_rate == 24_000 and speech.voice == "heart"
    assert 2.0 < speech.duration < 6.0  # ten words at a speaking pace
    assert speech.waveform.dtype == np.float32 and 0.1 < np.abs(speech.waveform).max() <= 1.0


def test_the_same_seed_gives_the_same_samples_and_speed_changes_the_pace(hibari):
    one, again = (mmzoo.run("tts", TEXT, model=hibari, seed=3) for _ in range(2))
    assert np.array_equal(one.waveform, again.waveform)
    assert not np.array_equal(one.waveform, mmzoo.run("tts", TEXT, model=hibari, seed=4).waveform)
    slow, fast = (mmzoo.run("tts", TEXT, model=hibari, speed=s).duration for s in (0.7, 1.5))
    assert slow > 1.6 * fast


def test_bad_options_are_refused(hibari):
    with pytest.raises(InvalidInput, match="speed must be"):
        mmzoo.run("tts", TEXT, model=hibari, speed=5)
    with pytest.raises(InvalidInput, match="unknown hibari voice 'en-us'; voices: heart"):
        mmzoo.run("tts", TEXT, model=hibari, voice="en-us")
    assert set(hibari.voices()) == {"heart", "emma", "fenrir", "fable", "kore"}


def test_a_voice_not_downloaded_is_weights_unavailable_offline(hibari, tmp_path, monkeypatch):
    monkeypatch.setenv("HIBARI_HOME", str(tmp_path))
    monkeypatch.setattr("hibari.voices.BASE_URL", "http://127.0.0.1:9/")  # nothing listens there
    with pytest.raises(WeightsUnavailable, match=r"voice 'emma'.*mmzoo download tts/hibari"):
        mmzoo.run("tts", TEXT, model=hibari, voice="emma")


def test_weights_loads_a_voice_file(hibari):
    from hibari.voices import voice_path

    mine = mmzoo.load("tts/hibari", weights=voice_path("heart"))
    assert np.array_equal(mmzoo.run("tts", TEXT, model=mine).waveform, mmzoo.run("tts", TEXT, model=hibari).waveform)
    with pytest.raises(WeightsUnavailable, match="not a hibari .onnx voice file"):
        mmzoo.load("tts/hibari", weights="/nonexistent.onnx")


def test_cli_writes_a_24_khz_wav(tmp_path):
    out = tmp_path / "out.wav"
    done = mmzoo_cli(None, "run", "tts", TEXT, "-o", out, "-O", "speed=1.2")
    assert done.returncode == 0, done.stderr
    waveform, rate = soundfile.read(out)
    assert rate == 24_000 and len(waveform) / rate > 1.5


def test_cli_weights_loads_the_voice_file_for_run_and_eval(tmp_path):
    from hibari.voices import voice_path

    out, default = tmp_path / "mine.wav", tmp_path / "default.wav"
    for path, extra in ((out, ["--weights", voice_path("heart")]), (default, [])):
        done = mmzoo_cli(None, "run", "tts", "Hello there.", "-m", "tts/hibari", "-o", path, *extra)
        assert done.returncode == 0, done.stderr
    assert np.array_equal(soundfile.read(out)[0], soundfile.read(default)[0])
    missing = mmzoo_cli(None, "eval", "tts", "--weights", tmp_path / "none.onnx", "--limit", "1")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
