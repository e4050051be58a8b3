"""The hub models this plugin wraps: repository, pinned revision, size and licence.

Kept free of torch and transformers imports: registering (``mmzoo models``) reads only this.
Revisions are the repositories' ``main`` commits as recorded by several independent public projects;
the hub itself was not reachable when they were pinned. ``MAIN_UNPINNED`` marks the one that could not
be confirmed and follows the moving ``main`` branch until someone pins it.
"""

from __future__ import annotations

from dataclasses import dataclass

MAIN_UNPINNED = "main"  # TODO: pin to a commit hash (`huggingface-cli repo-info` / the hub's model API `sha`)


@dataclass(frozen=True)
class HubModel:
    id: str  # mmzoo model id
    summary: str
    factory: str  # "module:Class", imported only when the model loads
    repo: str
    revision: str
    size_mb: float  # download of config, processor files and one weights file
    license: str


CATALOG: dict[str, HubModel] = {m.id: m for m in (
    HubModel("caption/blip-base", "BLIP base captioner (Salesforce, COCO); optional text prefix",
             "mmzoo_transformers.captioning:BlipCaptioner", "Salesforce/blip-image-captioning-base",
             "82a37760796d32b1411fe092ab5d4e227313294b", 990, "BSD-3-Clause"),
    HubModel("caption/git-base-coco", "GIT base captioner (Microsoft, fine-tuned on COCO); optional text prefix",
             "mmzoo_transformers.captioning:GitCaptioner", "microsoft/git-base-coco",
             "a13141da42abd4a8cbf283601a8104265f537cee", 710, "MIT"),
    HubModel("caption/vit-gpt2", "ViT encoder + GPT-2 decoder captioner (nlpconnect, COCO)",
             "mmzoo_transformers.captioning:VitGpt2Captioner", "nlpconnect/vit-gpt2-image-captioning",
             "dc68f91c06a1ba6f15268e5b9c13ae7a7c514084", 985, "Apache-2.0"),
    HubModel("vqa/blip-vqa-base", "BLIP VQA base (Salesforce): generates free-form answers",
             "mmzoo_transformers.vqa:BlipVQA", "Salesforce/blip-vqa-base",
             "787b3d35d57e49572baabd22884b3d5a05acf072", 1540, "BSD-3-Clause"),
    HubModel("vqa/vilt-b32-vqa", "ViLT B/32 (VQAv2 fine-tuned): picks among 3,129 answers",
             "mmzoo_transformers.vqa:ViltVQA", "dandelin/vilt-b32-finetuned-vqa",
             MAIN_UNPINNED, 470, "Apache-2.0"),
)}
