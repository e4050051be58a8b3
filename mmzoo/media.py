"""Validate and convert user media: images, audio and text.

Everything a user hands to mmzoo passes through here, so a bad input fails early with an
:class:`~mmzoo.errors.InvalidInput` that names the input and the fix, never deep in a model.
Heavy imports (numpy, Pillow, soundfile) happen inside the functions.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InvalidInput

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image as PILImage

MAX_IMAGE_PIXELS = 100_000_000  # larger images are refused, not silently decoded


def _describe(value: Any) -> str:
    return f"'{value}'" if isinstance(value, (str, os.PathLike)) else type(value).__name__


def load_image(value: Any, *, mode: str = "RGB") -> PILImage.Image:
    """A path, bytes, a PIL image or an HxW[xC] uint8/float array -> a PIL image in ``mode``."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    if isinstance(value, Image.Image):
        image = value
    elif isinstance(value, np.ndarray):
        image = _array_to_image(value)
    elif isinstance(value, (str, os.PathLike, bytes)):
        source = io.BytesIO(value) if isinstance(value, bytes) else _existing_file(value, "image")
        try:
            image = Image.open(source)
            if image.width * image.height > MAX_IMAGE_PIXELS:  # refuse before decoding
                raise InvalidInput(f"{_describe(value)} is too large (over {MAX_IMAGE_PIXELS} pixels)")
            image.load()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise InvalidInput(f"{_describe(value)} is not an image Pillow can read ({exc})") from None
        except Image.DecompressionBombError:
            raise InvalidInput(f"{_describe(value)} is too large (over {MAX_IMAGE_PIXELS} pixels)") from None
    else:
        raise InvalidInput(f"expected an image (path, bytes, PIL image or array), got {type(value).__name__}")
    if image.width == 0 or image.height == 0:
        raise InvalidInput(f"{_describe(value)} is an empty image ({image.width}x{image.height})")
    if image.width * image.height > MAX_IMAGE_PIXELS:
        raise InvalidInput(f"{_describe(value)} is too large (over {MAX_IMAGE_PIXELS} pixels)")
    return image if image.mode == mode else image.convert(mode)


def _array_to_image(array: np.ndarray) -> PILImage.Image:
    import numpy as np
    from PIL import Image

    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise InvalidInput(f"image array must be HxW or HxWx{{1,3,4}}, got shape {array.shape}")
    if array.size == 0:
        raise InvalidInput(f"empty image array of shape {array.shape}")
    if array.dtype != np.uint8:
        if not np.issubdtype(array.dtype, np.floating):
            raise InvalidInput(f"image array must be uint8 or float in [0, 1], got {array.dtype}")
        array = (np.clip(array, 0.0, 1.0) * 255).round().astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    return Image.fromarray(array)


def _existing_file(value: str | os.PathLike, what: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_file():
        raise InvalidInput(f"{what} file not found: {path}")
    if path.stat().st_size == 0:
        raise InvalidInput(f"{what} file is empty: {path}")
    return path


@dataclass
class Audio:
    """A mono float32 waveform in [-1, 1] and its sample rate."""

    waveform: np.ndarray
    sample_rate: int

    @property
    def duration(self) -> float:
        return len(self.waveform) / self.sample_rate

    def save(self, path: str | os.PathLike) -> Path:
        """Write a WAV (or any format soundfile knows from the suffix)."""
        import soundfile

        path = Path(path)
        soundfile.write(path, self.waveform, self.sample_rate)
        return path

    def to_wav_bytes(self) -> bytes:
        import soundfile

        buffer = io.BytesIO()
        soundfile.write(buffer, self.waveform, self.sample_rate, format="WAV")
        return buffer.getvalue()

    def resample(self, sample_rate: int) -> Audio:
        if sample_rate == self.sample_rate:
            return self
        import librosa

        return Audio(librosa.resample(self.waveform, orig_sr=self.sample_rate, target_sr=sample_rate), sample_rate)

    def mel_spectrogram(self, n_mels: int = 80) -> np.ndarray:
        """Log-mel spectrogram in dB, shape (n_mels, frames)."""
        import librosa
        import numpy as np

        mel = librosa.feature.melspectrogram(
            y=self.waveform, sr=self.sample_rate, n_fft=1024, hop_length=256, n_mels=n_mels
        )
        return librosa.power_to_db(mel, ref=np.max)


def load_audio(value: Any, *, sample_rate: int | None = None) -> Audio:
    """A path, bytes, an :class:`Audio` or a ``(waveform, sample_rate)`` pair -> mono float32 Audio."""
    import numpy as np

    if isinstance(value, Audio):
        audio = value
    elif isinstance(value, tuple) and len(value) == 2:
        first, second = value
        waveform, rate = (second, first) if isinstance(first, int) else (first, second)  # gradio: (sr, data)
        audio = Audio(_to_mono_float(np.asarray(waveform)), int(rate))
    elif isinstance(value, (str, os.PathLike, bytes)):
        import soundfile

        source = io.BytesIO(value) if isinstance(value, bytes) else _existing_file(value, "audio")
        try:
            data, rate = soundfile.read(source, dtype="float32", always_2d=True)
        except (soundfile.LibsndfileError, RuntimeError, TypeError) as exc:
            raise InvalidInput(f"{_describe(value)} is not audio soundfile can read ({exc})") from None
        audio = Audio(_to_mono_float(data), int(rate))
    else:
        raise InvalidInput(f"expected audio (path, bytes, Audio or (waveform, rate)), got {type(value).__name__}")
    if audio.sample_rate <= 0:
        raise InvalidInput(f"invalid sample rate {audio.sample_rate}")
    if audio.waveform.size == 0:
        raise InvalidInput(f"{_describe(value)} holds no audio samples")
    return audio.resample(sample_rate) if sample_rate else audio


def _to_mono_float(data: np.ndarray) -> np.ndarray:
    import numpy as np

    if np.issubdtype(data.dtype, np.integer):  # scale before mixing channels, which makes floats
        data = data.astype(np.float32) / np.iinfo(data.dtype).max
    if data.ndim == 2:  # (frames, channels); gradio and soundfile both use this layout
        data = data.mean(axis=1)
    if data.ndim != 1:
        raise InvalidInput(f"audio must be 1-D or (frames, channels), got shape {data.shape}")
    return np.ascontiguousarray(data, dtype=np.float32)


def check_int(name: str, value: Any, low: int, high: int) -> int:
    """A whole number within [low, high] (strings such as "6" accepted), else InvalidInput."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a whole number {low}-{high}, got {value!r}") from None
    if not low <= number <= high:
        raise InvalidInput(f"{name} must be {low}-{high}, got {value}")
    return number


def check_float(name: str, value: Any, low: float, high: float) -> float:
    """A finite number within [low, high] (strings such as "7.5" accepted), else InvalidInput."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a number {low:g}-{high:g}, got {value!r}") from None
    if not low <= number <= high:  # also false for NaN
        raise InvalidInput(f"{name} must be {low:g}-{high:g}, got {value}")
    return number


def check_text(value: Any, what: str = "text", *, max_chars: int = 10_000) -> str:
    """A non-empty string of reasonable length, stripped."""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a string, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise InvalidInput(f"{what} is empty")
    if len(text) > max_chars:
        raise InvalidInput(f"{what} is too long ({len(text)} characters, at most {max_chars})")
    return text
