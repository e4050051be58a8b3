"""Mel spectrograms as torchaudio's Tacotron2 bundles use them, and frame stacking.

The bundles' Griffin-Lim vocoder inverts a natural-log amplitude mel spectrogram of 22.05 kHz audio
(1024-point STFT, hop 256, 80 slaney mel bands up to 8 kHz): :func:`log_mel` is that spectrogram's
forward direction, so a model trained on it speaks through the same vocoder.

Models trained here predict each band standardised by the corpus's mean and deviation
(:class:`BandNorm`, stored in the checkpoint): every band then weighs alike in the loss, and the
silent floor no longer dominates it.

A model that predicts ``r`` frames per decoder step (Tacotron's reduction factor, which torchaudio's
Tacotron2 class does not offer) is a Tacotron2 of ``80 * r`` mel bands over stacked frames
(:func:`stack_frames`); :func:`unstack_frames` turns its output back into 80-band frames.
"""

from __future__ import annotations

import math

import torch

SAMPLE_RATE = 22_050
N_MELS = 80
MEL_SETTINGS = dict(sample_rate=SAMPLE_RATE, n_fft=1024, win_length=1024, hop_length=256, f_min=0.0, f_max=8000.0,
                    n_mels=N_MELS, power=1.0, norm="slaney", mel_scale="slaney")
FLOOR = 1e-5  # amplitudes are clamped here before the log: silence is log(1e-5)
SILENCE = math.log(FLOOR)
_mel_transform: torch.nn.Module | None = None


def log_mel(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """(80, frames) log-amplitude mel spectrogram of a mono waveform, resampled to 22.05 kHz first."""
    global _mel_transform
    import torchaudio

    if sample_rate != SAMPLE_RATE:
        waveform = torchaudio.functional.resample(waveform, sample_rate, SAMPLE_RATE)
    if _mel_transform is None:
        _mel_transform = torchaudio.transforms.MelSpectrogram(**MEL_SETTINGS)
    return torch.log(_mel_transform(waveform.float()).clamp(min=FLOOR))


def stack_frames(mel: torch.Tensor, r: int) -> torch.Tensor:
    """(80, T) -> (80 r, ceil(T / r)): ``r`` consecutive frames a column, the last padded with silence."""
    bands, frames = mel.shape
    steps = -(-frames // r)
    padded = torch.nn.functional.pad(mel, (0, steps * r - frames), value=SILENCE)
    return padded.reshape(bands, steps, r).permute(2, 0, 1).reshape(r * bands, steps)


def unstack_frames(mel: torch.Tensor, r: int) -> torch.Tensor:
    """(batch, 80 r, S) -> (batch, 80, S r): the inverse of :func:`stack_frames` for a batch."""
    batch, bands, steps = mel.shape
    if r == 1:
        return mel
    return mel.reshape(batch, r, bands // r, steps).permute(0, 2, 3, 1).reshape(batch, bands // r, steps * r)


class BandNorm:
    """Per-band standardisation of log-mel spectrograms: ``(mel - mean) / std`` for each of the 80 bands."""

    def __init__(self, mean: list[float], std: list[float]) -> None:
        self.mean = torch.tensor(mean, dtype=torch.float32)[:, None]
        self.std = torch.tensor(std, dtype=torch.float32).clamp(min=1e-3)[:, None]

    @classmethod
    def fit(cls, mels: list[torch.Tensor]) -> BandNorm:
        frames = torch.cat(mels, dim=1)
        return cls(frames.mean(dim=1).tolist(), frames.std(dim=1).tolist())

    def to_dict(self) -> dict[str, list[float]]:
        return {"mean": [round(v, 5) for v in self.mean[:, 0].tolist()],
                "std": [round(v, 5) for v in self.std[:, 0].tolist()]}

    def __call__(self, mel: torch.Tensor) -> torch.Tensor:
        return (mel - self.mean) / self.std

    def inverse(self, mel: torch.Tensor) -> torch.Tensor:
        """Back to log-mel, for (..., 80, frames) tensors."""
        return mel * self.std.to(mel.device) + self.mean.to(mel.device)
