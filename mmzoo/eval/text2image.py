"""The text-to-image benchmark of the Shapes world (``mmzoo eval text2image``).

Prompt sets, each with real renders of what it names:

- **single**: "a red circle" for every colour-shape pair a generator saw in training, ``per_pair``
  scenes each; **held_out**: the pairs of :data:`~mmzoo.data.shapes.HELD_OUT_PAIRS`, never named
  in training; **two**: "a red circle and a blue star" from random scenes.
- **inpaint**: a real two-object scene with the second object masked out and the whole scene as
  the prompt; **edit**: a single-object render and the prompt with another colour.

Generated images are judged by :class:`~mmzoo.eval.judge.ShapesJudge` (colour, shape, the two
pairs of a two-object prompt), scored by CLIPScore against their prompt next to the CLIPScore of
real renders of the same prompts, inpaintings by L1/PSNR/SSIM inside and outside the mask, edits
by the manipulation precision. Image ``i`` of a set is drawn with seed ``seed + i``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

from ..data.shapes import COLOURS, HELD_OUT_PAIRS, SHAPES, Scene, random_scene, render
from .image import clip_score, manipulation_precision, masked_errors
from .judge import SIZE, ShapesJudge

Generate = Callable[..., list[Any]]  # generate(prompts, seeds, image=None, mask=None) -> PIL images


@dataclass
class Case:
    prompt: str
    scene: Scene  # a real scene the prompt describes
    mask: Any = None  # inpaint: the region to repaint
    source: Any = None  # edit / inpaint: the input image


def _one_object(rng: np.random.Generator, colour: str, shape: str) -> Scene:
    scene = random_scene(rng, SIZE)
    scene.objects = [replace(scene.objects[0], colour=colour, shape=shape,
                             angle=0.0 if shape == "circle" else scene.objects[0].angle)]
    return scene


def _phrase(obj: Any) -> str:
    return f"a {obj.colour} {obj.shape}"


def _two_object_scenes(n: int, seed: int) -> list[Scene]:
    out, i = [], 0
    while len(out) < n:
        scene = random_scene(np.random.default_rng([seed, i, 11]), SIZE)
        i += 1
        if len(scene.objects) >= 2:
            scene.objects = scene.objects[:2]
            out.append(scene)
    return out


def cases(per_pair: int = 2, held_out_per_pair: int = 8, two: int = 64, inpaint: int = 16, edit: int = 16,
          seed: int = 0) -> dict[str, list[Case]]:
    """The benchmark's prompt sets (see the module docstring)."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng([seed, 5])
    seen = [(c, s) for c in COLOURS for s in SHAPES if (c, s) not in HELD_OUT_PAIRS]
    single = [Case(f"a {c} {s}", _one_object(rng, c, s)) for c, s in seen for _ in range(per_pair)]
    held = [Case(f"a {c} {s}", _one_object(rng, c, s)) for c, s in HELD_OUT_PAIRS for _ in range(held_out_per_pair)]
    doubles = [Case(" and ".join(_phrase(o) for o in s.objects), s) for s in _two_object_scenes(two, seed)]
    inpaints = []
    for scene in _two_object_scenes(inpaint, seed + 1):
        target = scene.objects[1]
        r = (0.085 if target.size == "small" else 0.15) * SIZE + 2
        mask = Image.new("L", (SIZE, SIZE), 0)
        ImageDraw.Draw(mask).rectangle((target.x - r, target.y - r, target.x + r, target.y + r), fill=255)
        source = render(Scene(scene.objects[:1], scene.background, SIZE))
        inpaints.append(Case(" and ".join(_phrase(o) for o in scene.objects), scene, mask, source))
    edits = []
    names = list(COLOURS)
    for i in range(edit):
        colour, shape = names[i % len(names)], SHAPES[i % len(SHAPES)]
        new = names[(i + 1 + int(rng.integers(len(names) - 1))) % len(names)]
        scene = _one_object(rng, new, shape)
        edits.append(Case(f"a {new} {shape}", scene, source=render(_recolour(scene, colour))))
    return {"single": single, "held_out": held, "two": doubles, "inpaint": inpaints, "edit": edits}


def _recolour(scene: Scene, colour: str) -> Scene:
    return Scene([replace(scene.objects[0], colour=colour)], scene.background, scene.size)


def evaluate_shapes(generate: Generate, judge: ShapesJudge, embedder: Any | None, sets: dict[str, list[Case]],
                    seed: int = 0) -> tuple[dict[str, float], list[str]]:
    """Metrics of a generator on :func:`cases` (``embedder``: a retrieval model for CLIPScore and MP)."""
    metrics: dict[str, float] = {}
    images: dict[str, list[Any]] = {}
    for name in ("single", "held_out", "two"):
        group = sets[name]
        if group:
            images[name] = generate([c.prompt for c in group], [seed + i for i in range(len(group))])
    for name in ("single", "held_out"):
        if name in images:
            verdicts = judge(images[name])
            truth = [c.scene.objects[0] for c in sets[name]]
            metrics[f"{name}/colour"] = float(np.mean([v.colour == o.colour for v, o in zip(verdicts, truth)]))
            metrics[f"{name}/shape"] = float(np.mean([v.shape == o.shape for v, o in zip(verdicts, truth)]))
            metrics[f"{name}/both"] = float(np.mean([(v.colour, v.shape) == (o.colour, o.shape)
                                                     for v, o in zip(verdicts, truth)]))
    if "two" in images:
        verdicts = judge(images["two"])
        metrics["two/pairs"] = float(np.mean([v.top_pairs(2) == _pairs(c.scene) for v, c in zip(verdicts, sets["two"])]))
    if embedder is not None:
        prompts = [c.prompt for name in images for c in sets[name]]
        fake = [i for name in images for i in images[name]]
        real = [render(c.scene) for name in images for c in sets[name]]
        fake_score, real_score = np.mean(clip_score(embedder, fake, prompts)), np.mean(clip_score(embedder, real, prompts))
        metrics.update({"clipscore": float(fake_score), "clipscore/real": float(real_score),
                        "clipscore/ratio": float(fake_score / real_score) if real_score > 0 else float("nan")})
    notes = []
    if sets["inpaint"]:
        group = sets["inpaint"]
        done = generate([c.prompt for c in group], [seed + i for i in range(len(group))],
                        image=[c.source for c in group], mask=[c.mask for c in group])
        errors = [masked_errors(render(c.scene), img, c.mask) for c, img in zip(group, done)]
        for key in ("l1_in", "psnr_in", "ssim_in", "l1_out", "psnr_out", "ssim_out"):
            values = [e[key] for e in errors if key in e]
            finite = [v for v in values if np.isfinite(v)]
            metrics[f"inpaint/{key}"] = float(np.mean(finite)) if finite else float("inf")
        metrics["inpaint/pairs"] = float(np.mean([v.top_pairs(2) == _pairs(c.scene)
                                                  for v, c in zip(judge(done), group)]))
        notes.append("inpaint: the second object of a real scene masked out, the scene's caption as the prompt; "
                     "in = the masked region against the original render, out = the rest (inf PSNR = kept exactly "
                     "is shown as the mean of the finite values, inf when all are)")
    if sets["edit"]:
        group = sets["edit"]
        done = generate([c.prompt for c in group], [seed + i for i in range(len(group))],
                        image=[c.source for c in group])
        metrics["edit/colour"] = float(np.mean([v.colour == c.scene.objects[0].colour
                                                for v, c in zip(judge(done), group)]))
        if embedder is not None:
            metrics["edit/mp"] = float(np.mean([manipulation_precision(embedder, c.source, img, c.prompt)
                                                for c, img in zip(group, done)]))
        notes.append("edit: a render recoloured by the prompt; edit/colour = the judge sees the new colour, "
                     "edit/mp = ManiGAN's manipulation precision (1 - L1) x cos(edited, prompt)")
    metrics.update({f"judge_on_real/{k}": v for k, v in judge.accuracy.items()})
    return metrics, notes


def _pairs(scene: Scene) -> set[tuple[str, str]]:
    return {(o.colour, o.shape) for o in scene.objects}


def limited(sets: dict[str, list[Case]], limit: int | None) -> dict[str, list[Case]]:
    return {k: v[:limit] if limit else v for k, v in sets.items()}

