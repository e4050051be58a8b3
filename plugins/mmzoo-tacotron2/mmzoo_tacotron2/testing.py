"""Tiny random-weight Tacotron2 and WaveRNN for the plugin's tests and the app's (no download).

``tiny_bundle_folder(folder)`` writes both bundles' checkpoint files (character variants) for tiny
models built from the bundles' parameters, and the ``config.json`` that sizes them: what
``weights=folder`` loads through the same code as the real files. A random decoder stops at
random or never; :class:`StopEvery` is a gate that says "stop" every ``n`` decoder steps, so a
synthesis has a known length. :class:`TinyTacotron2Plugin` registers ``tts/tiny-tacotron2`` (such a
model with such a gate) for apps under test.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import torch

import mmzoo

from .catalog import CATALOG, WAVERNN_FILE

TINY_TACOTRON2 = {"encoder_embedding_dim": 32, "symbol_embedding_dim": 32, "encoder_n_convolution": 1,
                  "decoder_rnn_dim": 32, "attention_rnn_dim": 32, "attention_hidden_dim": 16,
                  "attention_location_n_filter": 4, "attention_location_kernel_size": 3, "prenet_dim": 16,
                  "postnet_n_convolution": 1, "postnet_embedding_dim": 16, "decoder_max_step": 60}
TINY_WAVERNN = {"n_res_block": 1, "n_rnn": 16, "n_fc": 16, "n_hidden": 16, "n_output": 16}


def tiny_bundle_folder(folder: str | Path, seed: int = 0) -> Path:
    import torchaudio
    from torchaudio.models import Tacotron2, WaveRNN

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bundle = torchaudio.pipelines.TACOTRON2_WAVERNN_CHAR_LJSPEECH
    torch.manual_seed(seed)
    tacotron2 = Tacotron2(**{**bundle._tacotron2_params, **TINY_TACOTRON2})
    for entry in CATALOG.values():
        if entry.text == "char":
            torch.save(tacotron2.state_dict(), folder / entry.tacotron2_file)
    torch.save(WaveRNN(**{**bundle._wavernn_params, **TINY_WAVERNN}).state_dict(), folder / WAVERNN_FILE)
    (folder / "config.json").write_text(json.dumps({"tacotron2": TINY_TACOTRON2, "wavernn": TINY_WAVERNN}))
    return folder


class StopEvery(torch.nn.Module):
    """A decoder gate that says "stop" at every ``n``-th decoder step (so each synthesis of one
    sentence takes ``n`` steps)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n, self.calls = n, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return torch.full((x.shape[0], 1), 10.0 if self.calls % self.n == 0 else -10.0)


def tiny_tacotron2(steps: int = 24) -> Any:
    """A tiny random Griffin-Lim Tacotron2 whose sentences take ``steps`` decoder steps."""
    from .model import Tacotron2GriffinLimChar

    model = Tacotron2GriffinLimChar(weights=tiny_bundle_folder(tempfile.mkdtemp(prefix="tiny-tacotron2-")),
                                    device="cpu")
    model.tacotron2.decoder.gate_layer = StopEvery(steps)
    return model


class TinyTacotron2Plugin:
    @mmzoo.hookimpl
    def register_models(self, register: Any) -> None:
        register(mmzoo.ModelSpec(id="tts/tiny-tacotron2", summary="test double: a tiny random Tacotron2",
                                 factory=tiny_tacotron2, requires=("torch", "torchaudio")))
