"""mmzoo plugin: Tacotron2 text to speech from torchaudio's LJSpeech bundles.

``tts/tacotron2-wavernn-char`` and ``tts/tacotron2-griffinlim-char`` read characters; the
``-phone`` variants read phonemes from DeepPhonemizer (``pip install 'mmzoo-tacotron2[phone]'``).
Weights download on first use or with ``mmzoo download MODEL`` into ``$TORCH_HOME/hub/checkpoints``;
``weights=DIR`` loads the same files from a folder (``model.py``).
"""

from __future__ import annotations

import mmzoo

from .catalog import CATALOG

NEEDS = ("torch", "torchaudio")


@mmzoo.hookimpl
def register_models(register):
    for entry in CATALOG.values():
        vocoder = "WaveRNN vocoder" if entry.vocoder == "wavernn" else "Griffin-Lim (no vocoder weights)"
        register(mmzoo.ModelSpec(
            id=entry.id,
            summary=f"Tacotron2 (torchaudio, LJSpeech, {entry.text}s) + {vocoder}; 22.05 kHz, alignment plot",
            factory=entry.factory,
            weights=mmzoo.Weights(source="torchaudio", repo=entry.bundle, size_mb=entry.size_mb, files=entry.files,
                                  license="BSD-2-Clause (torchaudio); weights trained on LJSpeech (public domain)"),
            requires=NEEDS + (("dp",) if entry.text == "phone" else ()),
            install_hint="pip install mmzoo-tacotron2" + ("[phone]" if entry.text == "phone" else ""),
        ))


@mmzoo.hookimpl
def register_commands(cli):
    from .train import train_command

    cli.commands["train"].add_command(train_command, "tts")
