"""Evaluate a model on a dataset: the engine of `mmzoo eval`.

Each task with a metric has an evaluator: it reads the data spec (:mod:`mmzoo.data.specs`), runs
the model in batches through :func:`mmzoo.run` / the model's interface, and scores the outputs
with :mod:`mmzoo.eval`. The report is a flat dict of metrics plus notes on how to read them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from . import api
from .data.specs import DataSpec, caption_items, parse_data, spoken_items, text_image_items, vqa_items
from .errors import DatasetError, GenerationFailed, InvalidInput
from .media import load_audio, load_image
from .plugins import get_registry


@dataclass
class EvalReport:
    task: str
    model: str
    data: str
    samples: int
    metrics: dict[str, float]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def table(self) -> str:
        width = max(len(k) for k in self.metrics) if self.metrics else 6
        lines = [f"{self.task} · {self.model} · {self.data} · {self.samples} samples · {self.seconds:.1f} s"]
        lines += [f"  {name:<{width}}  {value:.4f}" for name, value in self.metrics.items()]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def evaluate(task: str, model: str | None = None, data: str = "shapes:test", limit: int | None = None,
             batch_size: int = 16, progress: bool = True, split: str | None = None,
             images: str | Path | None = None, options: dict[str, Any] | None = None,
             weights: str | Path | None = None) -> EvalReport:
    """Score ``model`` (default: the task's default model) on ``data``.

    ``data`` is a data spec (:func:`mmzoo.data.specs.parse_data`; without a split: test). ``split``
    picks the split as an option instead; ``images`` is the folder the dataset's image paths are
    relative to, when it is not found beside the dataset file. ``options`` (text2image and tts): the
    model's options (steps, guidance_scale, voice, speed, ...); for text2image also ``clip_model``
    (the retrieval model of CLIPScore). ``weights``: the model's weights from this folder or file (a
    training run's ``best/``), as ``mmzoo.load(model, weights=)``.
    """
    if task not in EVALUATORS:
        raise InvalidInput(f"no metric for task {task!r}; tasks with metrics: {', '.join(EVALUATORS)}")
    if limit is not None and limit < 1:
        raise InvalidInput(f"limit must be at least 1, got {limit}")
    registry = get_registry()
    model_spec = registry.default_model(task) if model is None else registry.model(model)
    if model_spec.task != task:
        raise InvalidInput(f"model {model_spec.id} is a {model_spec.task!r} model, not a {task!r} model")
    data_spec = parse_data(data, split=split, images=images).split_or("test")  # bad specs fail before loading
    extra = {"options": dict(options)} if options else {}
    if extra and task not in TAKES_OPTIONS:
        raise InvalidInput(f"{task} evaluation takes no options (given: {', '.join(options)})")
    loaded = api.load(model_spec.id, weights=weights)
    start = time.perf_counter()
    metrics, samples, notes = EVALUATORS[task](loaded, data_spec, limit, batch_size, progress, **extra)
    notes = ([f"weights from {weights}"] if weights is not None else []) + notes
    return EvalReport(task, model_spec.id, data, samples, metrics, notes, time.perf_counter() - start)


# -- the evaluators ----------------------------------------------------------------------------


def _batches(items: Sequence[Any], size: int, progress: bool, what: str) -> Iterator[Sequence[Any]]:
    from tqdm import tqdm

    with tqdm(total=len(items), desc=what, unit="item", disable=not progress, leave=False) as bar:
        for start in range(0, len(items), size):
            batch = items[start:start + size]
            yield batch
            bar.update(len(batch))


def _limited(items: list[Any], limit: int | None, what: str, data: str) -> list[Any]:
    if not items:
        raise DatasetError(f"{data}: no {what} to evaluate on")
    return items[:limit] if limit else items


def eval_ocr(model: Any, spec: DataSpec, limit: int | None, batch: int, progress: bool):
    from .eval.ocr import error_rates

    items = _limited(text_image_items(spec), limit, "pages", spec.text)
    texts = []
    for chunk in _batches(items, batch, progress, "ocr"):
        texts += [r.text for r in api.run("ocr", [i.image for i in chunk], model=model)]
    notes = ["CER/WER over all pages, whitespace runs collapsed to one space"]
    return error_rates([i.text for i in items], texts), len(items), notes


def eval_caption(model: Any, spec: DataSpec, limit: int | None, batch: int, progress: bool):
    from .eval.captioning import caption_scores

    items = _limited(caption_items(spec), limit, "captioned images", spec.text)
    candidates = []
    for chunk in _batches(items, batch, progress, "caption"):
        candidates += [r.captions[0] for r in api.run("caption", [i.image for i in chunk], model=model)]
    scores = caption_scores([i.captions for i in items], candidates)
    notes = [f"{m} unavailable: {why}" for m, why in scores.unavailable.items()]
    notes.append("COCO caption evaluation: PTB tokenisation; CIDEr-D as in coco-caption")
    metrics = dict(scores.corpus)
    if spec.is_shapes:
        from .eval.binding import binding_scores

        scene_of = _shapes_scenes(spec)
        cases = [(c, scene) for i, c in zip(items, candidates) if len((scene := scene_of(i.image)).objects) > 1]
        binding = binding_scores(cases)
        metrics.update(binding.to_dict())
        notes.append(f"binding: of the {binding.checked} (colour, shape) mentions in the captions of {binding.captions} "
                     "multi-object scenes whose shape is in the scene, the share with that shape's colour"
                     + (f"; e.g. wrong: {binding.wrong_captions[0]!r}" if binding.wrong_captions else ""))
    return metrics, len(items), notes


def _shapes_scenes(spec: DataSpec) -> Callable[[Path], Any]:
    """Image path of the spec's Shapes world -> its scene (rebuilt from the world's seed)."""
    import json

    from .data.shapes import example

    meta = json.loads((spec.shapes_root() / "meta.json").read_text())
    variety = meta.get("variety", "plain")  # worlds written before the wild one was added are plain
    return lambda image: example(meta["seed"], int(Path(image).stem) - 1, meta["image_size"], variety).scene


def eval_vqa(model: Any, spec: DataSpec, limit: int | None, batch: int, progress: bool):
    from .eval.vqa import vqa_accuracy

    items = _limited(vqa_items(spec), limit, "questions", spec.text)
    if any(not i.answers for i in items):
        raise DatasetError(f"{spec.text}: VQA evaluation needs the annotations (human answers)")
    predictions = {}
    for chunk in _batches(items, batch, progress, "vqa"):
        results = api.run("vqa", [i.image for i in chunk], [i.question for i in chunk], model=model)
        predictions.update({i.question_id: r.answer for i, r in zip(chunk, results)})
    scores = vqa_accuracy(predictions, {i.question_id: i.answers for i in items},
                          answer_types={i.question_id: i.answer_type or "unknown" for i in items})
    metrics = {"accuracy": scores.overall, **{f"accuracy/{k}": v for k, v in scores.per_answer_type.items()}}
    return metrics, len(items), ["VQA accuracy: min(1, matching humans / 3), averaged over the 10 leave-one-out subsets"]


def eval_retrieve(model: Any, spec: DataSpec, limit: int | None, batch: int, progress: bool):
    from .eval.retrieval import recall_scores
    from .tasks.base import join_embeddings

    items = _limited(caption_items(spec), limit, "captioned images", spec.text)
    # The standard protocol (VSE++, SCAN): 5 captions per image (a few COCO images have 6 or 7).
    texts = [c for item in items for c in item.captions[:5]]
    owner = [i for i, item in enumerate(items) for _ in item.captions[:5]]
    images = join_embeddings([model.embed_images([load_image(i.image) for i in chunk])
                              for chunk in _batches(items, batch, progress, "images")])
    captions = join_embeddings([model.embed_texts(list(chunk)) for chunk in _batches(texts, batch, progress, "texts")])
    notes = [f"{len(items)} images, {len(texts)} captions; image->text is a hit if any of the image's captions "
             f"is in the top k; chance R@1 = {1 / len(items):.4f} (text->image)"]
    if not getattr(model, "single_vector", True):
        notes.append("similarity: the model's own (words x image regions), not a dot product of two vectors")
    return recall_scores(model.similarity(captions, images).T, owner), len(items), notes


def eval_avmatch(model: Any, spec: DataSpec, limit: int | None, batch: int, progress: bool):
    from .eval.retrieval import recall_scores
    from .tasks.base import join_embeddings

    items = _limited(spoken_items(spec), limit, "spoken captions", spec.text)
    if not items[0].audio.is_file():
        raise DatasetError(f"{spec.text}: audio file {items[0].audio} is missing (a Shapes world made without "
                           "espeak-ng has no spoken captions: apt-get install espeak-ng)")
    image_paths = list(dict.fromkeys(i.image for i in items))
    index = {path: n for n, path in enumerate(image_paths)}
    images = join_embeddings([model.embed_images([load_image(p) for p in chunk])
                              for chunk in _batches(image_paths, batch, progress, "images")])
    audio = join_embeddings([model.embed_audio([load_audio(i.audio) for i in chunk])
                             for chunk in _batches(items, batch, progress, "audio")])
    similarity = model.similarity(audio, images).T  # (images, audio)
    metrics = {k.replace("i2t", "image->audio").replace("t2i", "audio->image"): v
               for k, v in recall_scores(similarity, [index[i.image] for i in items]).items()}
    notes = [f"{len(image_paths)} images, {len(items)} spoken captions; image->audio is a hit if any of the "
             f"image's captions is in the top k; chance R@1 = {1 / len(image_paths):.4f} (audio->image)"]
    speakers = {i.speaker for i in items if i.speaker}
    if speakers:
        notes.append(f"{len(speakers)} voices" + (f" ({', '.join(sorted(speakers)[:4])}, ...)" if len(speakers) > 4
                                                  else f" ({', '.join(sorted(speakers))})"))
    if spec.is_shapes and model.matchmap(load_audio(items[0].audio), load_image(items[0].image)) is not None:
        scores = _shapes_localisation(model, spec, items, progress)
        metrics.update(scores.to_dict())
        notes.append(f"localisation: the time-pooled matchmap's peak inside the named object's box, on "
                     f"{len(scores.single)} captions of single-object scenes (chance "
                     f"{scores.to_dict()['loc_chance_single']:.3f}) and {len(scores.multi)} captions naming one "
                     "object of multi-object scenes")
    return metrics, len(items), notes


def _shapes_localisation(model: Any, spec: DataSpec, items: Sequence[Any], progress: bool):
    from .eval.localisation import named_objects, pooled_heatmap, score_localisation

    scene_of = _shapes_scenes(spec)
    cases = []
    for chunk in _batches(items, 1, progress, "matchmaps"):
        item = chunk[0]
        scene = scene_of(item.image)
        if len(scene.objects) > 1 and len(named_objects(item.transcript, scene)) != 1:
            continue  # scored only when the caption names one object: skip its matchmap
        heat = pooled_heatmap(model.matchmap(load_audio(item.audio), load_image(item.image)))
        cases.append((item.transcript, scene, heat))
    return score_localisation(cases)


def eval_text2image(model: Any, spec: DataSpec, limit: int | None, batch: int, progress: bool,
                    options: dict[str, Any] | None = None):
    from .eval.judge import ShapesJudge
    from .eval.text2image import cases, evaluate_shapes, limited

    if not spec.is_shapes:
        raise InvalidInput(f"text2image is scored on the Shapes world (its judge knows only Shapes scenes), "
                           f"not {spec.text}: use --data shapes")
    options = dict(options or {})
    clip_model = options.pop("clip_model", None) or get_registry().default_model("retrieve").id
    sets = limited(cases(seed=spec.seed), limit)
    total = sum(len(v) for v in sets.values())
    from tqdm import tqdm

    bar = tqdm(total=total, desc="text2image", unit="image", disable=not progress, leave=False)

    def generate(prompts: list[str], seeds: list[int], image: list[Any] | None = None,
                 mask: list[Any] | None = None) -> list[Any]:
        out = []
        for start in range(0, len(prompts), batch):
            part = slice(start, start + batch)
            if image is None:  # the task gives image i of a run seed + i
                results = api.run("text2image", prompts[part], model=model, seed=seeds[start], **options)
                out += [r.image for r in results]
            else:
                masks = mask[part] if mask else [None] * len(prompts[part])
                out += [api.run("text2image", p, model=model, seed=s, image=i, mask=m, **options).image
                        for p, s, i, m in zip(prompts[part], seeds[part], image[part], masks)]
            bar.update(len(prompts[part]))
        return out

    notes = []
    try:
        embedder = api.model_for("retrieve", clip_model)
        notes.append(f"CLIPScore = 2.5 x max(cos, 0) with {embedder.spec.id}; clipscore/real = the same prompts "
                     "against real renders")
    except Exception as exc:  # no retrieval model: the judge's metrics still count
        embedder = None
        notes.append(f"CLIPScore and MP unavailable: {exc}")
    judge = ShapesJudge()
    with bar:
        metrics, more = evaluate_shapes(generate, judge, embedder, sets, seed=spec.seed)
    notes += more
    notes.append("single/held_out: judged colour and shape of 'a COLOUR SHAPE' (held_out: pairs never named in "
                 "training); two/pairs: the judge's two most likely colour-shape pairs are the prompt's two")
    notes.append("judge: a CNN trained on real Shapes renders (mmzoo.eval.judge); judge_on_real = its own accuracy")
    notes.append(_inception_note())
    return metrics, total, notes


def _inception_note() -> str:
    from .eval.image import inception_unavailable

    why = inception_unavailable()
    if why:
        return f"IS/FID unavailable: {why}"
    return "IS/FID: not computed on the 64 px Shapes world (Inception features of tiny synthetic scenes mean little)"


def eval_tts(model: Any, spec: DataSpec, limit: int | None, batch: int, progress: bool,
              options: dict[str, Any] | None = None):
    from .data.sentences import EVERYDAY, HELD_OUT
    from .eval.asr import Transcriber, intelligibility

    if not spec.is_shapes:
        raise InvalidInput(f"tts is scored on mmzoo's fixed held-out sentences (mmzoo.data.sentences), not "
                           f"{spec.text}: leave --data out")
    sentences = _limited(list(HELD_OUT), limit, "sentences", "held-out sentences")
    listen = Transcriber()
    try:  # lazy loads (a voice, G2P); a bad option fails here
        api.run("tts", "A warm-up sentence, not timed.", model=model, **(options or {}))
    except GenerationFailed:
        pass
    transcripts, spoken, seconds = [], 0.0, 0.0
    failed: list[str] = []
    for chunk in _batches(sentences, 1, progress, "tts"):  # one at a time: the speed is per sentence
        start = time.perf_counter()
        try:
            speech = api.run("tts", chunk[0], model=model, **(options or {}))
        except GenerationFailed as exc:  # the model's failure on this sentence: nothing heard, every word wrong
            failed.append(f"no speech for {chunk[0]!r}: {exc}")
            transcripts.append("")
            continue
        seconds += time.perf_counter() - start
        spoken += speech.duration
        transcripts.append(listen(speech.waveform, speech.sample_rate))
    metrics = intelligibility(sentences, transcripts)
    metrics["failed"] = len(failed)
    for name, wanted in (("shapes", False), ("everyday", True)):
        pairs = [(s, t) for s, t in zip(sentences, transcripts) if (s in EVERYDAY) == wanted]
        if pairs:
            part = intelligibility(*zip(*pairs))
            metrics.update({f"{k}/{name}": v for k, v in part.items()})
    metrics["x_real_time"] = spoken / seconds if seconds else float("nan")  # nan: no sentence spoken
    notes = [f"{len(sentences)} held-out sentences spoken{_described(options)} and transcribed by {listen.name}; "
             "WER/CER after lower-casing, dropping punctuation and writing number words as digits",
             f"x_real_time = seconds of speech per second of synthesis ({spoken:.1f} s in {seconds:.1f} s, "
             f"torch threads: {_threads()})"]
    wers = [(intelligibility([s], [t])["WER"], s, t) for s, t in zip(sentences, transcripts)]
    notes += [f"heard {t!r} for {s!r}" for wer, s, t in sorted(wers, key=lambda w: -w[0])[:3] if wer > 0 and t]
    notes += failed[:3]
    return metrics, len(sentences), notes


def _described(options: dict[str, Any] | None) -> str:
    return f" ({', '.join(f'{k}={v}' for k, v in options.items())})" if options else ""


def _threads() -> str:
    try:
        import torch

        return str(torch.get_num_threads())
    except ImportError:
        return "n/a"


TAKES_OPTIONS = ("text2image", "tts")

EVALUATORS: dict[str, Callable[..., tuple[dict[str, float], int, list[str]]]] = {
    "retrieve": eval_retrieve,
    "caption": eval_caption,
    "vqa": eval_vqa,
    "ocr": eval_ocr,
    "avmatch": eval_avmatch,
    "text2image": eval_text2image,
    "tts": eval_tts,
}
