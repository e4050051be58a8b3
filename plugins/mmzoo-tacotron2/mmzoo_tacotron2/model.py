"""Tacotron2 + a vocoder behind the tts interface, loaded from torchaudio's bundles or a folder.

One loading path for both: the bundle gives the model configurations (``_tacotron2_params``,
``_wavernn_params``) and the checkpoint file names; the tensors come from ``weights=DIR`` (the same
file names, plus an optional ``config.json`` overriding the configurations, as a small model trained
or built here has) or from ``$TORCH_HOME/hub/checkpoints``, downloaded there on first use or by
``mmzoo download``. Bundle checkpoints are read with ``torch.load(weights_only=True)``. A Tacotron2
trained by ``mmzoo train tts`` is a checkpoint folder of mmzoo's own format (``config.json`` +
``model.safetensors``) whose config may add ``frames_per_step`` (the model predicts that many mel
frames a decoder step, unstacked before the vocoder) and ``mel_norm`` (per-band mean and deviation of
its standardised output; :mod:`.features`).

Text is split into sentences (and long sentences at commas), all synthesised in one batch, and
joined with a short pause. A sentence that reaches the decoder's step limit is an error, never a
silently cut recording.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np

from mmzoo.errors import GenerationFailed, InvalidInput, MissingDependency, WeightsUnavailable
from mmzoo.media import check_float
from mmzoo.tasks.tts import Speech, TTSModel
from mmzoo.train.checkpoint import WEIGHTS, read_weights
from mmzoo.weights import first_line, torch_hub_checkpoints, unreachable, weights_unavailable

from .catalog import BASE_URL, CATALOG, WAVERNN_FILE
from .features import BandNorm, unstack_frames

SAMPLE_RATE = 22_050
HOP = 256  # mel frames: Griffin-Lim's hop (WaveRNN upsamples by its own hop_length)
MAX_CHARS = 180  # a longer sentence is split at commas, then at spaces
PAUSE_S = 0.25  # between sentences
MIN_FRAMES = 8  # 93 ms: fewer mel frames are no word (and too few for Griffin-Lim's STFT)
LOCAL = ("folder with the bundle's checkpoint files (and an optional config.json), or a checkpoint made by "
         "`mmzoo train tts`")


def sentences(text: str, limit: int = MAX_CHARS) -> list[str]:
    """``text`` as sentences of at most ``limit`` characters (split at . ! ? ; then commas, then spaces)."""
    out: list[str] = []
    for sentence in re.split(r"(?<=[.!?;])\s+", " ".join(text.split())):
        parts = [sentence]
        while any(len(p) > limit for p in parts):
            long = next(p for p in parts if len(p) > limit)
            cut = long.rfind(",", 0, limit) + 1 or long.rfind(" ", 0, limit) + 1 or limit
            i = parts.index(long)
            parts[i:i + 1] = [long[:cut].strip(), long[cut:].strip()]
        out += [p for p in parts if p]
    return out


class Tacotron2TTS(TTSModel):
    """Tacotron2 (text -> mel) + WaveRNN or Griffin-Lim (mel -> 22.05 kHz waveform)."""

    model_id: str  # a key of CATALOG; set by the subclasses
    default_voice = "ljspeech"  # the bundles' speaker; a model trained here names its teacher's voice

    def __init__(self, *, weights: str | os.PathLike | None = None, device: str | None = None) -> None:
        import torch
        import torchaudio

        from mmzoo.devices import resolve_device

        spec = CATALOG[self.model_id]
        bundle = getattr(torchaudio.pipelines, spec.bundle)
        folder = Path(weights).expanduser() if weights is not None else None
        if folder is not None and not folder.is_dir():
            raise WeightsUnavailable(f"{self.model_id}: weights folder {folder} does not exist (a {LOCAL})")
        config = json.loads((folder / "config.json").read_text()) if folder and (folder / "config.json").is_file() else {}
        self.device = torch.device(resolve_device(device))
        self.text = self._text_processor(bundle, spec.text)
        from torchaudio.models import Tacotron2

        self.tacotron2 = Tacotron2(**{**bundle._tacotron2_params, **config.get("tacotron2", {})})
        trained_here = folder is not None and (folder / WEIGHTS).is_file()
        self.tacotron2.load_state_dict(read_weights(folder) if trained_here else self._state(spec.tacotron2_file, folder))
        self.frames_per_step = int(config.get("frames_per_step", 1))
        self.norm = BandNorm(**config["mel_norm"]) if "mel_norm" in config else None
        self.default_voice = str(config.get("corpus", {}).get("voice", self.default_voice))
        self.tacotron2.eval().to(self.device)
        if spec.vocoder == "wavernn":
            from torchaudio.models import WaveRNN
            from torchaudio.pipelines._tts.impl import _WaveRNNVocoder  # the bundle's own mel scaling

            wavernn = WaveRNN(**{**bundle._wavernn_params, **config.get("wavernn", {})})
            wavernn.load_state_dict(self._state(WAVERNN_FILE, folder))
            self.vocoder = _WaveRNNVocoder(wavernn.eval()).to(self.device)
        else:
            self.vocoder = bundle.get_vocoder().to(self.device)
        self._lock = threading.Lock()

    def _state(self, name: str, folder: Path | None) -> dict[str, Any]:
        import torch

        path = (folder if folder is not None else torch_hub_checkpoints()) / name
        if not path.is_file():
            if folder is not None:
                raise WeightsUnavailable(f"{self.model_id}: {folder} lacks {name} (weights= takes a {LOCAL})")
            fetch(self.model_id, name)
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # truncated, not a checkpoint, or holding code
            raise WeightsUnavailable(f"{self.model_id}: cannot read {path}: {first_line(exc)}; "
                                     f"run `mmzoo download --force {self.model_id}`") from None

    @staticmethod
    def _text_processor(bundle: Any, kind: str) -> Any:
        if kind == "char":
            return bundle.get_text_processor()
        try:
            import dp  # noqa: F401  (DeepPhonemizer)
        except ImportError:
            raise MissingDependency("the phoneme Tacotron2 needs DeepPhonemizer: pip install 'mmzoo-tacotron2[phone]'"
                                    ) from None
        try:
            return bundle.get_text_processor(dl_kwargs={"map_location": "cpu"})
        except Exception as exc:
            raise WeightsUnavailable(f"DeepPhonemizer's en_us_cmudict_forward.pt is not in {torch_hub_checkpoints()} "
                                     f"and cannot be downloaded now ({first_line(exc)})") from None

    def synthesize(self, texts: list[str], *, voice: str | None = None, speed: float = 1.0) -> list[Speech]:
        """``speed`` stretches the mel spectrogram in time before the vocoder (1 = as predicted)."""
        if voice not in (None, "", self.default_voice):
            raise InvalidInput(f"{self.model_id} has one voice, {self.default_voice!r}, not {voice!r}")
        speed = check_float("speed", speed, 0.5, 2.0)
        return [self._speak(text, speed) for text in texts]

    def voices(self) -> list[str]:
        return [self.default_voice]

    def _speak(self, text: str, speed: float) -> Speech:
        import torch
        import torch.nn.functional as F

        parts = sentences(text)
        tokens, lengths = self.text(parts)
        if int(lengths.min()) == 0:
            raise InvalidInput(f"{self.model_id} reads English letters and punctuation; nothing of {text!r} is")
        order = torch.argsort(lengths, descending=True)
        with self._lock, torch.inference_mode():
            mel, mel_lengths, alignments = self.tacotron2.infer(tokens[order].to(self.device), lengths[order].to(self.device))
            limit = self.tacotron2.decoder.decoder_max_step
            predicted = mel_lengths  # decoder steps, the alignment's rows
            mel, mel_lengths = unstack_frames(mel, self.frames_per_step), mel_lengths * self.frames_per_step
            if self.norm is not None:  # a model trained here predicts standardised bands
                mel = self.norm.inverse(mel)
            if int(mel_lengths.min()) < MIN_FRAMES:
                cut = parts[int(order[int(torch.argmin(mel_lengths))])]
                raise GenerationFailed(f"{self.model_id}: the decoder stopped after {int(mel_lengths.min())} mel "
                                       f"frames on {cut!r} (too early to be speech); reword it")
            if int(predicted.max()) >= limit:  # decoder steps, not the (unstacked) frames
                cut = parts[int(order[int(torch.argmax(predicted))])]
                raise GenerationFailed(f"{self.model_id}: the decoder reached its limit of {limit} steps on {cut!r} "
                                   "(the model did not find the end of the sentence); shorten or reword it")
            if speed != 1.0:
                mel = F.interpolate(mel, scale_factor=1 / speed, mode="linear", align_corners=False)
                mel_lengths = (mel_lengths.float() / speed).long()
            waveforms, _ = self.vocoder(mel, mel_lengths)
        waveforms = waveforms.cpu().numpy()
        pieces, mels, steps = [None] * len(parts), [None] * len(parts), [None] * len(parts)
        for row, index in enumerate(order.tolist()):
            frames = int(mel_lengths[row])
            pieces[index] = waveforms[row, :self._samples(frames)]  # a padded batch: each sentence its own length
            mels[index] = mel[row, :, :frames].cpu().numpy()
            steps[index] = alignments[row, :int(predicted[row]), :int(lengths[order][row])].cpu().numpy()
        pause = np.zeros(int(PAUSE_S * SAMPLE_RATE), np.float32)
        waveform = np.concatenate([x for piece in pieces for x in (piece, pause)][:-1]).astype(np.float32)
        return Speech(np.clip(waveform, -1, 1), SAMPLE_RATE, text=text, voice=self.default_voice,
                      mel=np.concatenate(mels, axis=1), alignment=_block_diagonal(steps))

    def _samples(self, frames: int) -> int:
        """Samples the vocoder makes from ``frames`` mel frames: WaveRNN ``hop_length`` a frame;
        Griffin-Lim's centred inverse STFT one hop fewer."""
        wavernn = getattr(self.vocoder, "_model", None)
        return frames * int(wavernn.hop_length) if wavernn is not None else (frames - 1) * HOP

    @classmethod
    def download(cls, spec: Any) -> str:
        entry = CATALOG[spec.id]
        paths = [fetch(spec.id, name) for name in entry.files]
        size = sum(p.stat().st_size for p in paths) / 1e6
        return f"{spec.id}: {', '.join(p.name for p in paths)} in {paths[0].parent} ({size:.0f} MB)"


def _block_diagonal(blocks: list[np.ndarray]) -> np.ndarray:
    """One (decoder step x input symbol) alignment for the whole text from its sentences' alignments."""
    out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)), np.float32)
    r = c = 0
    for b in blocks:
        out[r:r + b.shape[0], c:c + b.shape[1]] = b
        r, c = r + b.shape[0], c + b.shape[1]
    return out


def fetch(model_id: str, name: str) -> Path:
    """``$TORCH_HOME/hub/checkpoints/name``, downloaded first if missing; offline, WeightsUnavailable."""
    import torch

    path = torch_hub_checkpoints() / name
    if path.is_file():
        return path
    url = f"{BASE_URL}/{name}"
    reason = unreachable(url)
    if reason:
        raise weights_unavailable(model_id, name, reason, size_mb=CATALOG[model_id].size_mb, local=LOCAL,
                                  cache=torch_hub_checkpoints())
    torch.hub.download_url_to_file(url, str(path), progress=True)
    return path


class Tacotron2WaveRNNChar(Tacotron2TTS):
    model_id = "tts/tacotron2-wavernn-char"


class Tacotron2GriffinLimChar(Tacotron2TTS):
    model_id = "tts/tacotron2-griffinlim-char"


class Tacotron2WaveRNNPhone(Tacotron2TTS):
    model_id = "tts/tacotron2-wavernn-phone"


class Tacotron2GriffinLimPhone(Tacotron2TTS):
    model_id = "tts/tacotron2-griffinlim-phone"
