"""tts/espeak-ng: real speech of the right length; voice, rate and pitch reach the engine."""

from __future__ import annotations

import numpy as np
import pytest

import mmzoo

ESPEAK = "tts/espeak-ng"  # not the tts default where mmzoo-hibari is installed


def test_speech_is_audible_and_about_the_right_length():
    speech = mmzoo.run("tts", "The quick brown fox jumps over the lazy dog.", model=ESPEAK)
    assert speech.sample_rate == 22050 and speech.waveform.dtype == np.float32
    assert 1.5 < speech.duration < 5.0  # nine words at 175 words per minute
    assert np.abs(speech.waveform).max() > 0.1


def test_rate_changes_duration():
    slow = mmzoo.run("tts", "one two three four five six", model=ESPEAK, rate=100)
    fast = mmzoo.run("tts", "one two three four five six", model=ESPEAK, rate=350)
    assert slow.duration > 2 * fast.duration


def test_pitch_changes_the_voice():
    low = mmzoo.run("tts", "aaaah", model=ESPEAK, pitch=0)
    high = mmzoo.run("tts", "aaaah", model=ESPEAK, pitch=99)
    centroid = lambda s: float(np.mean(__import__("librosa").feature.spectral_centroid(y=s.waveform, sr=s.sample_rate)))
    assert centroid(high) > centroid(low)


def test_voices_and_languages():
    voices = mmzoo.load("tts/espeak-ng").voices()
    assert {"en-us", "de", "fr-fr"} <= set(voices)
    assert mmzoo.run("tts", "bonjour", model=ESPEAK, voice="fr").voice == "fr"
    german = mmzoo.run("tts", "Guten Tag", model=ESPEAK, voice="de")
    assert german.voice == "de" and german.duration > 0.3
    assert mmzoo.run("tts", "hello", model=ESPEAK, voice="en-us+f3").duration > 0.2
    with pytest.raises(mmzoo.InvalidInput, match="unknown espeak-ng voice"):
        mmzoo.run("tts", "hello", model=ESPEAK, voice="klingon")


def test_text_that_looks_like_an_option_is_spoken():
    assert mmzoo.run("tts", "--help me", model=ESPEAK).duration > 0.3


def test_out_of_range_settings_are_refused():
    with pytest.raises(mmzoo.InvalidInput, match="rate"):
        mmzoo.run("tts", "hello", model=ESPEAK, rate=10)
    with pytest.raises(mmzoo.InvalidInput, match="pitch"):
        mmzoo.run("tts", "hello", model=ESPEAK, pitch=200)


def test_batch_and_mel():
    first, second = mmzoo.run("tts", ["hello", "a much longer sentence than the first one"], model=ESPEAK)
    assert second.duration > first.duration
    mel = first.mel_spectrogram()
    assert mel.shape[0] == 80 and mel.shape[1] > 10 and mel.max() == pytest.approx(0.0)
