"""A tiny random-weight Stable Diffusion pipeline, for the plugin's tests and benchmarks (no download).

``tiny_pipeline(folder)`` builds the five components of a Stable Diffusion 1.x pipeline from small
configs (a 2-level UNet, a 4-level VAE so that a latent pixel is 8x8 image pixels as in SD, a 2-layer
CLIP text encoder, PNDM as SD ships) with a byte-level CLIP tokenizer whose vocab.json and
merges.txt it writes itself (diffusers' own test pipelines fetch theirs from the hub), and saves it
with ``save_pretrained``: the layout of a hub snapshot, loadable with ``weights=folder``.
Its images are 64 px by default; they are noise, but deterministic noise.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

TEXT = {"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2, "num_attention_heads": 4}


def tiny_tokenizer(folder: Path) -> Any:
    """A CLIP BPE tokenizer over the 256 byte symbols (and their end-of-word forms), no merges; its
    vocab.json and merges.txt are written to ``folder``."""
    from transformers import CLIPTokenizer
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    symbols = list(bytes_to_unicode().values())
    words = symbols + [s + "</w>" for s in symbols] + ["<|startoftext|>", "<|endoftext|>"]
    (folder / "vocab.json").write_text(json.dumps({w: i for i, w in enumerate(words)}))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=77)


def tiny_safety_checker(flag_everything: bool = False) -> tuple[Any, Any]:
    """A tiny ``StableDiffusionSafetyChecker`` and its feature extractor. Its concept thresholds make it
    flag no image, or every image (``flag_everything``), so tests can see what the checker does."""
    import torch
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPConfig, CLIPImageProcessor

    vision = {**TEXT, "num_hidden_layers": 1, "image_size": 32, "patch_size": 16}
    checker = StableDiffusionSafetyChecker(CLIPConfig(text_config=TEXT, vision_config=vision, projection_dim=16))
    with torch.no_grad():
        checker.concept_embeds_weights.fill_(-1.0 if flag_everything else 2.0)  # score = cosine - weight > 0 flags
        checker.special_care_embeds_weights.fill_(2.0)
    features = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    return checker.eval(), features


def tiny_pipeline(folder: str | Path, *, seed: int = 0, safety_checker: bool = False,
                  flag_everything: bool = False) -> Path:
    """Save a tiny random Stable Diffusion pipeline to ``folder`` (without a safety checker unless asked)."""
    import torch
    from diffusers import AutoencoderKL, PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    folder = Path(folder)
    with tempfile.TemporaryDirectory() as vocabulary:
        tokenizer = tiny_tokenizer(Path(vocabulary))
    torch.manual_seed(seed)
    end = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    text_encoder = CLIPTextModel(CLIPTextConfig(
        **TEXT, vocab_size=len(tokenizer), max_position_embeddings=77, pad_token_id=end, eos_token_id=end,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|startoftext|>")))
    unet = UNet2DConditionModel(
        sample_size=8, in_channels=4, out_channels=4, block_out_channels=(8, 16), layers_per_block=1,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=TEXT["hidden_size"], attention_head_dim=4, norm_num_groups=4)
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(4, 4, 8, 8), layers_per_block=1,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4, norm_num_groups=2,
        sample_size=64)
    scheduler = PNDMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                              skip_prk_steps=True, steps_offset=1, set_alpha_to_one=False)  # as SD 1.5 ships it
    checker, features = tiny_safety_checker(flag_everything) if safety_checker else (None, None)
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                   scheduler=scheduler, safety_checker=checker, feature_extractor=features,
                                   requires_safety_checker=safety_checker)
    pipe.save_pretrained(folder)
    return folder
