"""The trained matcher as an ``avmatch`` model: ranked matches both ways and the matchmap of a pair."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mmzoo.errors import WeightsUnavailable
from mmzoo.image_grids import to_pixels
from mmzoo.media import Audio
from mmzoo.tasks.avmatch import AVMatchModel

from .frontend import HOP, SAMPLE_RATE, log_mel, padded_batch
from .matcher import CALIBRATION, Matcher
from .speech import check_spoken

SHIPPED = Path(__file__).parent / "weights" / "shapes-davenet"
CHUNK = 64  # audios scored against all images at once (bounds the (images, audios, regions, frames) maps)


def audio_inputs(audios: list[Audio], waveform: bool, multiple: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """A padded batch for the audio tower: log-mel frames (B, 40, T), or 16 kHz waveforms (B, samples)."""
    signals = [torch.from_numpy(np.ascontiguousarray(a.waveform, dtype=np.float32)) for a in audios]
    if waveform:
        import torchaudio

        signals = [s if a.sample_rate == SAMPLE_RATE else torchaudio.functional.resample(s, a.sample_rate, SAMPLE_RATE)
                   for s, a in zip(signals, audios)]
        lengths = torch.tensor([len(s) for s in signals])
        return torch.nn.utils.rnn.pad_sequence(signals, batch_first=True), lengths
    return padded_batch([log_mel(s, a.sample_rate) for s, a in zip(signals, audios)], multiple)


class DAVEnetMatcher(AVMatchModel):
    """A matchmap matcher; ``weights=`` is a folder written by ``mmzoo train avmatch``."""

    def __init__(self, *, weights: str | Path | None = None, device: str | None = None) -> None:
        folder = Path(weights) if weights else SHIPPED
        if not (folder / "config.json").is_file():
            raise WeightsUnavailable(f"no matcher checkpoint in {folder} (make one with `mmzoo train avmatch`)")
        self.device = device or "cpu"
        self.net = Matcher.load(folder).to(self.device)
        calibration = folder / CALIBRATION
        self.floor = json.loads(calibration.read_text())["score_floor"] if calibration.is_file() else None

    @torch.inference_mode()
    def embed_audio(self, audios: list[Audio]) -> list[np.ndarray]:
        """Each audio's (frames, dim) unit vectors. One audio at a time: in a padded batch the last
        frames of the shorter ones would see the padding, and a gallery's ranks would depend on
        what else is in it."""
        out: list[np.ndarray] = []
        for audio in audios:
            inputs, lengths = audio_inputs([audio], self.net.config.waveform)
            frames, frame_lengths = self.net.audio_frames(inputs.to(self.device), lengths)
            out.append(frames[0, :, :int(frame_lengths[0])].T.float().cpu().numpy())
        return out

    @torch.inference_mode()
    def embed_images(self, images: list[Any]) -> list[np.ndarray]:
        """Each image's (grid, grid, dim) unit vectors."""
        pixels = to_pixels(images, self.net.config.image_size).to(self.device)
        regions = self.net.image_regions(pixels)
        return list(regions.permute(0, 2, 3, 1).float().cpu().numpy())

    @torch.inference_mode()
    def similarity(self, audio_embeddings: list[np.ndarray], image_embeddings: list[np.ndarray]) -> np.ndarray:
        regions = torch.from_numpy(np.stack(image_embeddings)).permute(0, 3, 1, 2).to(self.device)
        scores = []
        for start in range(0, len(audio_embeddings), CHUNK):
            chunk = audio_embeddings[start:start + CHUNK]
            lengths = torch.tensor([len(a) for a in chunk])
            frames = torch.zeros(len(chunk), regions.shape[1], int(lengths.max()))
            for i, a in enumerate(chunk):
                frames[i, :, :len(a)] = torch.from_numpy(a.T)
            scores.append(self.net.similarity(regions, frames.to(self.device), lengths).T.float().cpu())
        return torch.cat(scores).numpy()

    def matchmap(self, audio: Audio, image: Any) -> np.ndarray:
        """(frames, grid, grid) cosine similarity of every audio frame with every image region."""
        frames, regions = self.embed_audio([audio])[0], self.embed_images([image])[0]
        return np.einsum("td,hwd->thw", frames, regions)

    def frame_seconds(self) -> float:
        step = self.net.downsample * (1 if self.net.config.waveform else HOP)
        return step / SAMPLE_RATE

    def check_query_audio(self, audio: Audio) -> None:
        """Silence, then anything without speech (Silero VAD), is refused."""
        super().check_query_audio(audio)
        check_spoken(audio)

    def score_floor(self) -> float | None:
        return self.floor

    def close(self) -> None:
        del self.net
