"""torchaudio's Tacotron2 bundles (LJSpeech, one female US-English voice, 22.05 kHz) as mmzoo models.

Kept free of torch imports: registering (``mmzoo models``) reads only this. The checkpoint files
are those the bundles fetch from ``https://download.pytorch.org/torchaudio/models/`` into
``$TORCH_HOME/hub/checkpoints``; sizes are of those files.
"""

from __future__ import annotations

from dataclasses import dataclass

BASE_URL = "https://download.pytorch.org/torchaudio/models"
WAVERNN_FILE = "wavernn_10k_epochs_8bits_ljspeech.pth"


@dataclass(frozen=True)
class Bundle:
    id: str  # mmzoo model id
    bundle: str  # torchaudio.pipelines attribute
    tacotron2_file: str
    vocoder: str  # "wavernn" or "griffinlim"
    text: str  # "char" or "phone"
    size_mb: float  # from the parameter counts: Tacotron2 28.1M, WaveRNN 4.3M, fp32
    factory: str  # "module:Class", imported only when the model loads

    @property
    def files(self) -> tuple[str, ...]:
        return (self.tacotron2_file,) + ((WAVERNN_FILE,) if self.vocoder == "wavernn" else ())


CATALOG: dict[str, Bundle] = {b.id: b for b in (
    Bundle("tts/tacotron2-wavernn-char", "TACOTRON2_WAVERNN_CHAR_LJSPEECH",
           "tacotron2_english_characters_1500_epochs_wavernn_ljspeech.pth", "wavernn", "char", 130,
           "mmzoo_tacotron2.model:Tacotron2WaveRNNChar"),
    Bundle("tts/tacotron2-griffinlim-char", "TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH",
           "tacotron2_english_characters_1500_epochs_ljspeech.pth", "griffinlim", "char", 113,
           "mmzoo_tacotron2.model:Tacotron2GriffinLimChar"),
    Bundle("tts/tacotron2-wavernn-phone", "TACOTRON2_WAVERNN_PHONE_LJSPEECH",
           "tacotron2_english_phonemes_1500_epochs_wavernn_ljspeech.pth", "wavernn", "phone", 130,
           "mmzoo_tacotron2.model:Tacotron2WaveRNNPhone"),
    Bundle("tts/tacotron2-griffinlim-phone", "TACOTRON2_GRIFFINLIM_PHONE_LJSPEECH",
           "tacotron2_english_phonemes_1500_epochs_ljspeech.pth", "griffinlim", "phone", 113,
           "mmzoo_tacotron2.model:Tacotron2GriffinLimPhone"),
)}
