"""Seconds per image when captioning N images one call at a time vs as one batch.

    python benchmarks/caption_batching.py                  # a tiny random BLIP
    python benchmarks/caption_batching.py -m caption/git-base-coco   # hub weights
    python benchmarks/caption_batching.py -m caption/vit-gpt2 --weights DIR
    python benchmarks/caption_batching.py -m caption/shapes-sat     # the shipped Show-Attend-Tell

Greedy decoding, the same images and options both ways; the model is loaded and warmed up first.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

import mmzoo


def tiny_blip(folder: Path) -> Path:
    """A 1-layer random BLIP with a 32-word vocabulary, saved like the hub repository."""
    import torch
    from transformers import (BertTokenizer, BlipConfig, BlipForConditionalGeneration, BlipImageProcessor,
                              BlipProcessor)

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]"] + [f"w{i}" for i in range(26)]
    small = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2}
    text = {**small, "vocab_size": len(words), "max_position_embeddings": 64, "bos_token_id": 5,
            "eos_token_id": 3, "sep_token_id": 3, "pad_token_id": 0}
    torch.manual_seed(0)
    model = BlipForConditionalGeneration(BlipConfig(
        text_config=text, vision_config={**small, "image_size": 64, "patch_size": 16}, projection_dim=32))
    model.save_pretrained(folder)
    BlipProcessor(image_processor=BlipImageProcessor(size={"height": 64, "width": 64}),
                  tokenizer=BertTokenizer(vocab={w: i for i, w in enumerate(words)}, bos_token="[DEC]")
                  ).save_pretrained(folder)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-m", "--model", default="caption/blip-base", help="a caption/* model of this plugin")
    parser.add_argument("--weights", type=Path, help="save_pretrained folder (default: a tiny random BLIP "
                                                     "for caption/blip-base, the hub weights otherwise)")
    parser.add_argument("-n", "--images", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=20, help="new tokens per caption")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each; the best is kept")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        weights = args.weights
        if weights is None and args.model == "caption/blip-base":
            weights = tiny_blip(Path(tmp))
        model = mmzoo.load(args.model, weights=weights, device=args.device)
        rng = np.random.default_rng(0)
        images = [Image.fromarray(rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)) for _ in range(args.images)]
        model.caption(images[:2], max_length=args.max_length)  # warm-up

        def best_of(run) -> float:
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                run()
                times.append(time.perf_counter() - start)
            return min(times) / len(images)

        single = best_of(lambda: [model.caption([image], max_length=args.max_length) for image in images])
        batched = best_of(lambda: model.caption(images, max_length=args.max_length))
    source = weights if args.weights else ("tiny random BLIP" if weights else "its default weights")
    print(f"{args.model} ({source}), {len(images)} images, device {args.device}, max_length {args.max_length}")
    print(f"one at a time: {single:.4f} s/image")
    print(f"one batch:     {batched:.4f} s/image")
    print(f"speed-up:      {single / batched:.2f}x")


if __name__ == "__main__":
    main()
