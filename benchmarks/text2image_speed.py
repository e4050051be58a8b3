"""Seconds per image of a text2image model on this machine (the default: the shipped Shapes model).

    OMP_NUM_THREADS=1 python benchmarks/text2image_speed.py [--model text2image/shapes-diffusion] [--steps 25]

Prints the median of several runs for one image and per image in a batch of 8 (goal for the
Shapes default: <= 3 s for a 64 px image at its default steps on one CPU core).
"""

import argparse
import statistics
import time

import mmzoo


def seconds(model, count: int, steps: int | None, repeats: int) -> float:
    options = {} if steps is None else {"steps": steps}
    times = []
    for r in range(repeats):
        start = time.perf_counter()
        mmzoo.run("text2image", ["a red circle"] * count, model=model, seed=r, **options)
        times.append((time.perf_counter() - start) / count)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="text2image/shapes-diffusion")
    parser.add_argument("--steps", type=int, help="denoising steps (default: the model's)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import torch

    model = mmzoo.load(args.model)
    mmzoo.run("text2image", "warm up", model=model, seed=0, steps=2)
    print(f"{args.model}, torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    print(f"one image:         {seconds(model, 1, args.steps, args.repeats):.2f} s")
    print(f"batch of 8:        {seconds(model, 8, args.steps, max(2, args.repeats // 2)):.2f} s per image")


if __name__ == "__main__":
    main()
