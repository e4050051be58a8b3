"""What mmzoo's TTS wrapper costs on top of calling the engine directly (goal <= 1.03x).

    OMP_NUM_THREADS=1 python benchmarks/tts_overhead.py                 # tts/hibari
    OMP_NUM_THREADS=1 python benchmarks/tts_overhead.py -m tts/espeak-ng

Both sides speak the same sentence with the same settings: ``mmzoo.run("tts", ...)`` (the task's
checks, option checks, the Speech result) against the engine itself (hibari's ``Hibari.__call__``;
for espeak-ng, ``mmzoo.espeak.speak``, the one driver the plugin calls). Runs alternate so drift on a
shared machine hits both; prints the medians, their ratio and the speed in x real time.
"""

from __future__ import annotations

import argparse
import statistics
import time

import mmzoo

TEXT = "The train to the coast leaves a little after nine in the morning."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-m", "--model", default="tts/hibari", choices=["tts/hibari", "tts/espeak-ng"])
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    model = mmzoo.load(args.model)
    if args.model == "tts/hibari":
        engine = model._engine(model.default_voice)

        def raw() -> float:
            return len(engine(TEXT, speed=1.0, seed=0)) / engine.sample_rate
    else:
        from mmzoo import espeak

        program = espeak.find_program()

        def raw() -> float:
            samples, rate = espeak.speak(TEXT, "en-us", 175, 50, program)
            return len(samples) / rate

    def wrapper() -> float:
        return mmzoo.run("tts", TEXT, model=model).duration

    wrapper(), raw()  # warm-up
    times: dict[str, list[float]] = {"mmzoo.run": [], "engine": []}
    audio = 0.0
    for r in range(args.repeats):
        order = (("mmzoo.run", wrapper), ("engine", raw)) if r % 2 == 0 else (("engine", raw), ("mmzoo.run", wrapper))
        for name, call in order:
            start = time.perf_counter()
            audio = call()
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(t) for name, t in times.items()}
    print(f"{args.model}: {audio:.2f} s of speech, median of {args.repeats}")
    for name, seconds in median.items():
        print(f"{name:10} {seconds * 1000:8.1f} ms   {audio / seconds:6.1f}x real time")
    print(f"ratio      {median['mmzoo.run'] / median['engine']:8.3f}x  (goal <= 1.03x)")


if __name__ == "__main__":
    main()
