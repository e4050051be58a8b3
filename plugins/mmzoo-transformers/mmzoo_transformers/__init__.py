"""mmzoo plugin: Hugging Face vision-language models through their transformers model classes.

Captioning: BLIP base, GIT base (COCO), ViT-GPT2. Visual question answering: BLIP-VQA (generative)
and ViLT (a classifier over VQAv2 answers). Weights come from the Hugging Face hub at pinned
revisions (``mmzoo download MODEL``) or from a local ``save_pretrained`` folder (``weights=``).

This module imports neither torch nor transformers: listing models stays fast.
"""

from __future__ import annotations

import mmzoo

from .catalog import CATALOG

INSTALL_HINT = "pip install mmzoo-transformers (needs torch and transformers)"


@mmzoo.hookimpl
def register_models(register):
    for model in CATALOG.values():
        register(mmzoo.ModelSpec(
            id=model.id,
            summary=model.summary,
            factory=model.factory,  # a string: imported only when the model loads
            weights=mmzoo.Weights(source="hf", repo=model.repo, revision=model.revision,
                                  size_mb=model.size_mb, license=model.license),
            requires=("torch", "transformers"),
            install_hint=INSTALL_HINT,
        ))
