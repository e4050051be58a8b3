"""The Stable Diffusion pipelines this plugin wraps: hub repository, pinned revision, size and licence.

Kept free of torch and diffusers imports: registering (``mmzoo models``) reads only this. The hub was
not reachable when these were pinned; each revision is the commit that several independent public
projects record for the repository (their download manifests, caches and test fixtures), and the
sizes are the fp32 safetensors of the pipeline's components (UNet, VAE, CLIP text encoder and the
safety checker), from published parameter counts.
"""

from __future__ import annotations

from dataclasses import dataclass

OPENRAIL = "CreativeML OpenRAIL-M"
#: What must be cached for a pipeline to load (``mmzoo models`` shows ``ready`` when all are there).
PIPELINE_FILES = ("model_index.json", "unet/diffusion_pytorch_model.safetensors",
                  "vae/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors",
                  "tokenizer/tokenizer_config.json")


@dataclass(frozen=True)
class HubPipeline:
    id: str  # mmzoo model id
    summary: str
    repo: str
    revision: str
    size_mb: float  # model_index.json, configs, tokenizer and the fp32 safetensors of every component
    license: str
    factory: str  # "module:Class", imported only when the model loads


CATALOG: dict[str, HubPipeline] = {p.id: p for p in (
    HubPipeline("text2image/sd-1.5", "Stable Diffusion 1.5 (512 px; generate, edit, inpaint; GPU advised)",
                "stable-diffusion-v1-5/stable-diffusion-v1-5", "451f4fe16113bff5a5d2269ed5ad43b0592e9a14",
                5480, OPENRAIL, "mmzoo_diffusers.stable_diffusion:StableDiffusion15"),
    HubPipeline("text2image/bk-sdm-tiny", "BK-SDM-Tiny (Nota AI): SD 1.4 with a pruned, distilled UNet; "
                "half the parameters, cheaper steps on a CPU (512 px)", "nota-ai/bk-sdm-tiny",
                "0364108e53b7f7f4d2585e817a0b7a83dc261cfa", 3340, OPENRAIL, "mmzoo_diffusers.stable_diffusion:BkSdmTiny"),
)}
