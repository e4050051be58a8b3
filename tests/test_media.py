"""Input validation: bad media fails early with InvalidInput naming the input."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mmzoo.errors import InvalidInput
from mmzoo.media import Audio, check_text, load_audio, load_image


def test_text_file_is_not_an_image(text_file):
    with pytest.raises(InvalidInput, match="notes.png.* is not an image"):
        load_image(text_file)


def test_missing_and_empty_files(tmp_path, empty_file):
    with pytest.raises(InvalidInput, match="image file not found"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(InvalidInput, match="image file is empty"):
        load_image(empty_file)


def test_empty_and_malformed_arrays():
    with pytest.raises(InvalidInput, match="empty image"):
        load_image(np.zeros((0, 5, 3), np.uint8))
    with pytest.raises(InvalidInput, match="HxW"):
        load_image(np.zeros((4, 4, 7), np.uint8))
    with pytest.raises(InvalidInput, match="uint8 or float"):
        load_image(np.zeros((4, 4), np.int64))


def test_images_convert_from_every_form(ocr_image):
    from_path = load_image(ocr_image)
    assert from_path.mode == "RGB"
    assert load_image(ocr_image.read_bytes()).size == from_path.size
    assert load_image(np.asarray(from_path)).tobytes() == from_path.tobytes()
    floats = load_image(np.full((2, 3, 3), 1.0))
    assert floats.size == (3, 2) and floats.getpixel((0, 0)) == (255, 255, 255)
    assert load_image(Image.new("RGBA", (3, 3)), mode="L").mode == "L"


def test_audio_round_trip(tmp_path):
    tone = Audio(np.sin(np.linspace(0, 100, 8000)).astype(np.float32) * 0.5, 8000)
    path = tone.save(tmp_path / "tone.wav")
    back = load_audio(path)
    assert back.sample_rate == 8000 and abs(back.duration - 1.0) < 1e-3
    assert np.allclose(back.waveform, tone.waveform, atol=1e-3)
    assert load_audio((8000, (tone.waveform * 32767).astype(np.int16))).duration == pytest.approx(1.0)
    assert load_audio(path, sample_rate=16000).sample_rate == 16000
    stereo = np.stack([tone.waveform, tone.waveform], axis=1)
    mixed = load_audio((8000, (stereo * 32767).astype(np.int16)))  # gradio's (rate, int16 frames x channels)
    assert np.abs(mixed.waveform).max() <= 1.0 and np.allclose(mixed.waveform, tone.waveform, atol=1e-3)


def test_bad_audio(text_file, tmp_path):
    with pytest.raises(InvalidInput, match="not audio"):
        load_audio(text_file)
    with pytest.raises(InvalidInput, match="no audio samples"):
        load_audio((np.zeros(0, np.float32), 16000))


def test_text_checks():
    assert check_text("  hi  ") == "hi"
    for bad in ["", "   \n", None, 3]:
        with pytest.raises(InvalidInput):
            check_text(bad)
    with pytest.raises(InvalidInput, match="too long"):
        check_text("x" * 20_000)


def test_check_float_takes_numbers_in_range_only():
    from mmzoo.media import check_float

    assert check_float("guidance_scale", "7.5", 0, 30) == 7.5
    for bad in ("nan", float("inf"), 31, -1, "lots", None):
        with pytest.raises(InvalidInput, match="guidance_scale"):
            check_float("guidance_scale", bad, 0, 30)
