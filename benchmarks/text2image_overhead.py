"""What the mmzoo wrapper of a Stable Diffusion pipeline costs on top of the raw diffusers call.

    OMP_NUM_THREADS=1 python benchmarks/text2image_overhead.py              # a tiny random SD, 64 px
    python benchmarks/text2image_overhead.py -m text2image/bk-sdm-tiny --size 256 --steps 10 --repeats 5
    python benchmarks/text2image_overhead.py --weights DIR                   # a save_pretrained folder

Both sides make the same images from the same seeds with the same pipeline object: ``mmzoo.run``
(the task's checks, per-image generators, parameters) against ``pipe(...)`` with the same arguments.
The runs alternate (wrapper, raw, wrapper, ...) so drift on a shared machine hits both; the medians
and their ratio are printed (goal: <= 1.03x).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import mmzoo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-m", "--model", default="text2image/sd-1.5", help="a Stable Diffusion model of mmzoo-diffusers")
    parser.add_argument("--weights", help="save_pretrained folder (default: a tiny random pipeline for sd-1.5, "
                                          "the hub weights otherwise)")
    parser.add_argument("--size", type=int, default=64, help="width and height in pixels")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--images", type=int, default=1, help="images per call")
    parser.add_argument("--repeats", type=int, default=21, help="timed calls of each")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        weights = args.weights
        if weights is None and args.model == "text2image/sd-1.5":
            from mmzoo_diffusers.testing import tiny_pipeline

            weights = tiny_pipeline(tmp)
        model = mmzoo.load(args.model, weights=weights, device=args.device)
        pipe = model._pipes["generate"]
        prompts = ["a red circle above a blue square"] * args.images
        size = {"width": args.size, "height": args.size}

        def wrapper(seed: int) -> None:
            mmzoo.run("text2image", prompts[0], model=model, seed=seed, num_images=args.images, steps=args.steps, **size)

        def raw(seed: int) -> None:
            pipe(prompts, num_inference_steps=args.steps, guidance_scale=7.5, **size,
                 generator=[torch.Generator().manual_seed(seed + i) for i in range(args.images)])

        wrapper(0), raw(0)  # warm-up
        times: dict[str, list[float]] = {"mmzoo.run": [], "diffusers": []}
        for r in range(args.repeats):
            for name, call in (("mmzoo.run", wrapper), ("diffusers", raw)) if r % 2 == 0 else (
                    ("diffusers", raw), ("mmzoo.run", wrapper)):
                start = time.perf_counter()
                call(r)
                times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(t) for name, t in times.items()}
    source = args.weights or ("tiny random pipeline" if weights else "hub weights")
    print(f"{args.model} ({source}), {args.images} image(s) of {args.size} px, {args.steps} steps, "
          f"device {args.device}, torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
          f"median of {args.repeats}")
    for name, seconds in median.items():
        print(f"{name:10} {seconds * 1000:9.1f} ms")
    print(f"ratio      {median['mmzoo.run'] / median['diffusers']:9.3f}x  (goal <= 1.03x)")


if __name__ == "__main__":
    main()
