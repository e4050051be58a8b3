"""Is there speech in a query? Silero VAD (MIT; its ONNX model ships in the ``silero-vad`` wheel, run
by onnxruntime), so that a tone, music or noise gets a message instead of a confident heatmap: a
matcher trained on speech alone scores any sound against every image, and a 440 Hz tone scores
higher than most captions."""

from __future__ import annotations

import threading

import numpy as np

from mmzoo.errors import InvalidInput, MissingDependency
from mmzoo.media import Audio

VAD_RATE = 16_000
MIN_SPEECH_S = 0.2
_lock = threading.Lock()  # the VAD keeps state between chunks: one audio at a time
_vad: list = []


def speech_seconds(audio: Audio) -> float:
    """Seconds of the audio that Silero VAD takes for speech."""
    import torch
    import torchaudio

    try:
        from silero_vad import get_speech_timestamps, load_silero_vad
    except ImportError:
        raise MissingDependency("spoken-caption queries are checked for speech with silero-vad: "
                                "pip install silero-vad onnxruntime") from None
    waveform = torch.from_numpy(np.ascontiguousarray(audio.waveform, dtype=np.float32))
    if audio.sample_rate != VAD_RATE:
        waveform = torchaudio.functional.resample(waveform, audio.sample_rate, VAD_RATE)
    with _lock:
        if not _vad:
            _vad.append(load_silero_vad(onnx=True))
        spans = get_speech_timestamps(waveform, _vad[0], sampling_rate=VAD_RATE)
    return sum(s["end"] - s["start"] for s in spans) / VAD_RATE


def check_spoken(audio: Audio) -> None:
    """:class:`InvalidInput` unless the audio holds at least :data:`MIN_SPEECH_S` of speech."""
    found = speech_seconds(audio)
    if found < MIN_SPEECH_S:
        raise InvalidInput(f"no speech found in the audio ({found:.2f} s of {audio.duration:.2f} s sounds like "
                           "speech to the voice activity detector): record or upload a spoken caption")
