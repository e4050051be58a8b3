"""DAVEnet's audio front end: 16 kHz, pre-emphasis 0.97, 25 ms Hamming windows every 10 ms, 40 log-mel bands.

torchaudio's transforms do the signal processing; only the settings are DAVEnet's (Harwath et al., 2018).
"""

from __future__ import annotations

import torch

SAMPLE_RATE = 16_000
N_MELS = 40
WINDOW, HOP = 400, 160  # 25 ms and 10 ms at 16 kHz
N_FFT = 512
PRE_EMPHASIS = 0.97
FLOOR = 1e-6  # power below this is silence
_transforms: dict[str, torch.nn.Module] = {}


def log_mel(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """(40, frames) log-mel power spectrogram of a mono waveform (resampled to 16 kHz first), one
    frame every 10 ms."""
    import torchaudio

    if waveform.ndim != 1:
        raise ValueError(f"expected a mono waveform, got shape {tuple(waveform.shape)}")
    waveform = waveform.float()
    if sample_rate != SAMPLE_RATE:
        waveform = torchaudio.functional.resample(waveform, sample_rate, SAMPLE_RATE)
    waveform = torchaudio.functional.preemphasis(waveform, PRE_EMPHASIS)
    if "mel" not in _transforms:
        _transforms["mel"] = torchaudio.transforms.MelSpectrogram(
            sample_rate=SAMPLE_RATE, n_fft=N_FFT, win_length=WINDOW, hop_length=HOP, n_mels=N_MELS, power=2.0,
            window_fn=torch.hamming_window)
    return torch.log(_transforms["mel"](waveform).clamp(min=FLOOR))


def padded_batch(features: list[torch.Tensor], multiple: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """(batch, 40, frames) features padded with silence to the longest (rounded up to ``multiple``
    frames, e.g. an encoder's total pooling), and each one's length in frames."""
    lengths = torch.tensor([f.shape[1] for f in features])
    frames = -(-int(lengths.max()) // multiple) * multiple
    out = torch.full((len(features), features[0].shape[0], frames), float(torch.log(torch.tensor(FLOOR))))
    for i, f in enumerate(features):
        out[i, :, :f.shape[1]] = f
    return out, lengths
