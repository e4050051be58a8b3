"""The ``mmzoo`` command line.

Nothing here imports torch or gradio at start-up: plugins are loaded only by the commands
that need them, and ``install``/``uninstall`` never load them, so they work with a broken plugin.
Errors mmzoo raises on purpose print as one line and exit with status 2.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import click

from . import __version__
from .data import VARIETIES
from .errors import InvalidInput, MMZooError

EXIT_USER_ERROR = 2


class MMZooGroup(click.Group):
    """Turns mmzoo errors into one line + exit 2, and adds plugin commands lazily."""

    _plugin_commands_loaded = False

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MMZooError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(EXIT_USER_ERROR)

    def _load_plugin_commands(self) -> None:
        if not self._plugin_commands_loaded:
            self._plugin_commands_loaded = True
            from .plugins import call_register_commands

            call_register_commands(self)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None:
            self._load_plugin_commands()
            command = super().get_command(ctx, name)
        return command


@click.group(cls=MMZooGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mmzoo")
@click.option("-v", "--verbose", is_flag=True,
              help="Show the libraries' own progress bars and warnings (transformers' 'Loading weights').")
def cli(verbose: bool) -> None:
    """mmzoo: a plugin-based multimodal model zoo.

    \b
    Try:  mmzoo models            what is installed
          mmzoo run ocr page.png  read the text in an image
          mmzoo demo              open the web app on http://127.0.0.1:7860
    """
    if not verbose:  # read when transformers and huggingface_hub are imported, which is later; a user's own
        # setting wins. mmzoo's own bars (training, evaluation) stay, and so do a download's.
        if click.get_current_context().invoked_subcommand != "download":
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


# -- listing ---------------------------------------------------------------------------


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())


@cli.command("tasks")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def tasks_command(as_json: bool) -> None:
    """List the tasks and how many models each has."""
    from .api import models, tasks

    rows = [{"id": t.id, "title": t.title, "summary": t.summary, "models": len(models(t.id))} for t in tasks()]
    if as_json:
        _echo_json(rows)
    else:
        _table([[r["id"], str(r["models"]), r["summary"]] for r in rows], ["TASK", "MODELS", "WHAT IT DOES"])


def _model_row(spec: Any) -> dict[str, Any]:
    status = spec.status()
    return {
        "id": spec.id, "task": spec.task, "summary": spec.summary, "plugin": spec.plugin,
        "default": spec.default, "weights": {k: v for k, v in spec.weights.__dict__.items() if v is not None},
        "status": status.text, "ready": status.ready, "missing": list(status.missing),
        "download_mb": status.download_mb, "hint": status.hint,
    }


@cli.command("models")
@click.option("--task", "-t", "task", help="Only this task's models.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def models_command(task: str | None, as_json: bool) -> None:
    """List the installed models (each task's default first, marked *) and whether each can run now.

    STATUS is ``ready``, or what is missing: ``needs tesseract``, ``needs pip install ...``,
    ``download 990 MB`` (weights not cached: ``mmzoo download MODEL``) or ``needs weights=DIR``.
    """
    from .api import models

    rows = [_model_row(s) for s in models(task)]
    if as_json:
        _echo_json(rows)
        return
    _table([[("* " if r["default"] else "  ") + r["id"], r["plugin"], r["status"], r["summary"]] for r in rows],
           ["  MODEL", "PLUGIN", "STATUS", "SUMMARY"])


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plugins_command(as_json: bool) -> None:
    """List plugins: version, hooks, what they registered, and their errors."""
    from .plugins import get_registry

    records = list(get_registry().plugins.values())
    if as_json:
        _echo_json([r.__dict__ | {"ok": r.ok} for r in records])
        return
    for r in records:
        state = "ok" if r.ok else "ERROR"
        click.echo(f"{r.name} {r.version or ''} [{r.source}] {state}".replace("  ", " "))
        if r.hooks:
            click.echo(f"    hooks:  {', '.join(r.hooks)}")
        if r.tasks:
            click.echo(f"    tasks:  {', '.join(r.tasks)}")
        if r.models:
            click.echo(f"    models: {', '.join(r.models)}")
        for problem in filter(None, [r.load_error, *r.errors]):
            click.echo(f"    error:  {problem}")


# -- installing ------------------------------------------------------------------------


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", *args]
    click.echo("$ " + " ".join(command), err=True)
    code = subprocess.call(command)
    if code:
        raise click.exceptions.Exit(code)


@cli.command("install", context_settings={"ignore_unknown_options": True})
@click.argument("packages", nargs=-1, required=True)
def install_command(packages: tuple[str, ...]) -> None:
    """Install plugins (PyPI names, wheels, folders; extra pip options pass through)."""
    _pip("install", *packages)
    _report_models_after_change()


@cli.command("uninstall")
@click.argument("packages", nargs=-1, required=True)
def uninstall_command(packages: tuple[str, ...]) -> None:
    """Uninstall plugins."""
    _pip("uninstall", "--yes", *packages)
    _report_models_after_change()


def _report_models_after_change() -> None:
    # A fresh interpreter sees the new set of entry points reliably; this one may have stale metadata.
    out = subprocess.run([sys.executable, "-m", "mmzoo", "models"], capture_output=True, text=True)
    click.echo(out.stdout.rstrip() or out.stderr.rstrip())


# -- running ---------------------------------------------------------------------------


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _parse_options(pairs: tuple[str, ...]) -> dict[str, Any]:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidInput(f"option {pair!r} must look like KEY=VALUE")
        options[key.replace("-", "_")] = _parse_value(value)
    return options


_CLICK_TYPES = {"int": int, "float": float}
_SHORT_INPUTS = {"k"}  # one-letter inputs that also get a short option


def _task_command(task: Any) -> click.Command:
    params: list[click.Parameter] = []
    for field in task.inputs:
        kind = _CLICK_TYPES.get(field.kind, str)
        if field.positional:
            params.append(click.Argument([field.name], type=kind, nargs=-1 if field.multiple else 1,
                                         required=field.required))
        elif field.kind == "flag":
            params.append(click.Option([f"--{field.name.replace('_', '-')}", field.name], is_flag=True,
                                       default=None, help=field.help))
        else:
            choice = click.Choice(field.choices) if field.kind == "choice" else kind
            short = [f"-{field.name}"] if field.name in _SHORT_INPUTS else []  # -k, as in `retrieve -k 10`
            params.append(click.Option([f"--{field.name.replace('_', '-')}", *short, field.name], type=choice,
                                       multiple=field.multiple, help=field.describe(), default=field.default,
                                       show_default=field.default is not None))
    params += [
        click.Option(["--model", "-m"], help="Model id (default: the task's default model)."),
        click.Option(["--weights"], type=click.Path(exists=True, path_type=Path),
                     help="Load the model's weights from here (e.g. a training run's RUN/best)."),
        click.Option(["--option", "-O", "extra"], multiple=True, metavar="KEY=VALUE",
                     help="A model-specific option, e.g. -O psm=6 (values parse as JSON when they can)."),
        click.Option(["--output", "-o"], type=click.Path(dir_okay=False, path_type=Path),
                     help=f"Write the result to this file (default type {task.output_suffix})."),
        click.Option(["--json", "as_json"], is_flag=True, help="Print the result as JSON."),
    ]

    def callback(model: str | None, weights: Path | None, extra: tuple[str, ...], output: Path | None,
                 as_json: bool, **inputs: Any) -> None:
        from .api import load, run

        if output is None and not as_json and task.output_suffix not in (".json", ".txt"):
            raise InvalidInput(f"{task.id} writes {task.output_suffix} files: give -o FILE{task.output_suffix}")
        values = {k: (list(v) if isinstance(v, tuple) else v) for k, v in inputs.items()}
        values = {k: v for k, v in values.items() if v is not None and v != []}
        positional = [values.pop(f.name) for f in task.inputs if f.positional and f.name in values]
        extras = _parse_options(extra)
        twice = sorted(set(values) & set(extras))
        if twice:
            raise InvalidInput(f"option(s) {', '.join(twice)} given both as --{twice[0]} and as -O; give each once")
        if weights is not None:
            from .plugins import get_registry

            model = load(model or get_registry().default_model(task.id).id, weights=weights)
        with _step_progress(task) as hooks:
            result = run(task.id, *positional, model=model, **values, **extras, **hooks)
        if output is not None:
            for path in task.save(result, output):
                click.echo(f"wrote {path}", err=True)
        if as_json:
            _echo_json(task.to_json(result))
        elif output is None:
            click.echo(task.to_text(result))

    return click.Command(task.id, params=params, callback=callback, help=task.summary)


@contextlib.contextmanager
def _step_progress(task: Any) -> Iterator[dict[str, Any]]:
    """A tqdm bar on stderr fed by the task's ``progress(step, total)`` hook, for tasks that take one
    (a diffusion model's denoising steps); nothing for the others."""
    if "progress" not in inspect.signature(task.run).parameters:
        yield {}
        return
    from tqdm import tqdm

    bars: list[Any] = []

    def progress(step: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, desc=task.id, unit="step", file=sys.stderr))
        bars[0].update(step - bars[0].n)

    try:
        yield {"progress": progress}
    finally:
        for bar in bars:
            bar.close()


class RunGroup(click.Group):
    """One ``mmzoo run TASK`` subcommand per registered task, built from its inputs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from .api import tasks

        return [t.id for t in tasks()]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from .plugins import get_registry

        try:
            return _task_command(get_registry().task(name))
        except MMZooError:
            return None


@cli.group("run", cls=RunGroup)
def run_command() -> None:
    """Run a task: files in, text/JSON/files out. `mmzoo run TASK --help` shows its inputs."""


@cli.command("download")
@click.argument("model_id")
def download_command(model_id: str) -> None:
    """Fetch a model's weights ahead of time (so it runs offline later)."""
    from .plugins import get_registry

    spec = get_registry().model(model_id)
    weights = spec.weights
    if weights.needs_download:
        size = f", about {weights.size_mb:.0f} MB" if weights.size_mb else ""
        click.echo(f"{spec.id}: fetching {weights.source}:{weights.repo}@{weights.revision or 'latest'}{size}")
    try:
        factory = spec.resolve_factory()
    except ImportError as exc:
        raise InvalidInput(f"{spec.id}: cannot import its code ({exc}); reinstall plugin {spec.plugin!r}") from None
    download = getattr(factory, "download", None)
    if download is None:
        if weights.needs_download:
            raise InvalidInput(f"{spec.id}: its plugin cannot fetch weights ahead of time; they download on first use")
        click.echo(f"{spec.id}: nothing to download ({weights.source} engine)")
        return
    try:
        click.echo(download(spec))
    except NotImplementedError as exc:
        raise InvalidInput(f"{exc}; its weights download on first use") from None


# -- gallery indexes --------------------------------------------------------------------


@cli.group("index")
def index_command() -> None:
    """Build and inspect gallery indexes: image folders embedded once, searched with `mmzoo run retrieve --index`."""


@index_command.command("build")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--model", "-m", help="Retrieval model id (default: the index's model, else the task's default).")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="Index folder (default: FOLDER/.mmzoo-index).")
@click.option("--approximate/--exact", default=None,
              help="Also build a FAISS index for approximate search (needs faiss-cpu); default: as before.")
@click.option("--rebuild", is_flag=True, help="Start over instead of updating (e.g. to switch models).")
@click.option("--batch-size", type=int, default=32, show_default=True, help="Images per model call.")
def index_build_command(folder: Path, model: str | None, out: Path | None, approximate: bool | None, rebuild: bool,
                        batch_size: int) -> None:
    """Index the images under FOLDER (recursively); only new and changed files are embedded again."""
    from .api import model_for
    from .index import GalleryIndex, previous

    old = None if rebuild else previous(folder, out)
    loaded = model_for("retrieve", model, {"index": old})  # the index's own model unless told otherwise
    index = GalleryIndex.build(folder, loaded, out, approximate=approximate, rebuild=rebuild, batch_size=batch_size,
                               progress=sys.stderr.isatty())
    for path, why in index.changes.skipped:
        click.echo(f"skipped {path}: {why}", err=True)
    click.echo(f"{index.directory}: {len(index)} images, model {index.model_id}")
    click.echo(index.changes.summary())


@index_command.command("info")
@click.argument("index_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def index_info_command(index_dir: Path, as_json: bool) -> None:
    """Describe an index: its model, folder, size and search kind (INDEX_DIR or the image folder)."""
    from .index import GalleryIndex

    info = GalleryIndex.open(index_dir).info()
    if as_json:
        _echo_json(info)
        return
    approximate = info.pop("approximate")
    info["search"] = "exact" + (f" + approximate ({approximate['kind']})" if approximate else "")
    for key, value in info.items():
        click.echo(f"{key + ':':<15}{value}")


# -- data and evaluation ---------------------------------------------------------------


@cli.command("eval")
@click.argument("task")
@click.option("--model", "-m", help="Model id (default: the task's default model).")
@click.option("--weights", type=click.Path(exists=True, path_type=Path),
              help="Load the model's weights from here (e.g. a training run's RUN/best).")
@click.option("--data", "-d", default="shapes:test", show_default=True,
              help="shapes:SPLIT[?n=N&seed=S], or a dataset file/folder (COCO, Karpathy, VQA v2, Places audio, "
                   "OCR JSONL/CSV).")
@click.option("--split", help="Split of a Karpathy JSON (default test).")
@click.option("--images", type=click.Path(file_okay=False, path_type=Path),
              help="Folder the dataset's image/audio paths are relative to (default: found beside the file).")
@click.option("--limit", type=int, help="Evaluate on the first N samples only.")
@click.option("--batch-size", type=int, default=16, show_default=True)
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write JSON here.")
@click.option("--option", "-O", "extra", multiple=True, metavar="KEY=VALUE",
              help="text2image, tts: a model option (-O steps=25, -O voice=emma); text2image: -O clip_model=ID.")
def eval_command(task: str, model: str | None, weights: Path | None, data: str, split: str | None,
                 images: Path | None, limit: int | None, batch_size: int, json_path: Path | None,
                 extra: tuple[str, ...]) -> None:
    """Score a model on a dataset: retrieve (R@K), caption (BLEU/METEOR/ROUGE-L/CIDEr-D), vqa, ocr, avmatch,
    text2image (Shapes judge, CLIPScore, inpainting L1/PSNR/SSIM, MP), tts (WER/CER by speech recognition,
    speed)."""
    from .evaluate import evaluate

    report = evaluate(task, model=model, data=data, limit=limit, batch_size=batch_size, split=split, images=images,
                      options=_parse_options(extra), weights=weights)
    click.echo(report.table())
    if json_path is not None:
        json_path.write_text(json.dumps(report.to_dict(), indent=2) + "\n")
        click.echo(f"wrote {json_path}", err=True)


class TrainGroup(click.Group):
    """``mmzoo train TASK``: training recipes that plugins add (``register_commands``)."""

    def _plugin_commands(self, ctx: click.Context) -> None:
        root = ctx.find_root().command
        if isinstance(root, MMZooGroup):
            root._load_plugin_commands()

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._plugin_commands(ctx)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        self._plugin_commands(ctx)
        return super().get_command(ctx, name)


@cli.group("train", cls=TrainGroup)
def train_command() -> None:
    """Train a model with a plugin's recipe: `mmzoo train` lists them (e.g. `mmzoo train retrieve`).

    A plugin adds one with the register_commands hook: cli.commands["train"].add_command(cmd, "TASK").
    """


@cli.group("data")
def data_command() -> None:
    """Generate and inspect datasets."""


@data_command.command("shapes")
@click.option("--out", "-o", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write (created; must be empty or new).")
@click.option("--n", "count", type=int, default=1000, show_default=True, help="Number of scenes.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--audio/--no-audio", default=True, show_default=True, help="Spoken captions (needs espeak-ng).")
@click.option("--ocr/--no-ocr", default=True, show_default=True, help="Rendered text pages.")
@click.option("--workers", type=int, default=2, show_default=True)
@click.option("--variety", type=click.Choice(VARIETIES), default="plain", show_default=True,
              help="wild: varied drawing styles, backgrounds, resolutions and question phrasings, plus a "
                   "heldout split in a style and phrasing no split trains on.")
def data_shapes_command(out: Path, count: int, seed: int, audio: bool, ocr: bool, workers: int, variety: str) -> None:
    """Write the Shapes world: images, captions (COCO + Karpathy JSON), VQA v2 JSON, spoken captions, OCR pages."""
    import time

    from .data import shapes

    if count < 1:
        raise InvalidInput(f"--n must be at least 1, got {count}")
    if out.exists() and any(out.iterdir()):
        raise InvalidInput(f"{out} is not empty; choose a new folder")
    start = time.perf_counter()
    summary = shapes.generate(out, n=count, seed=seed, audio=audio, ocr=ocr, workers=workers, variety=variety)
    click.echo(json.dumps(summary, indent=2, sort_keys=True))
    click.echo(f"wrote {out} in {time.perf_counter() - start:.1f} s", err=True)


# -- the app and the environment -------------------------------------------------------


@cli.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: all).")
@click.option("--port", default=7860, show_default=True, type=int)
@click.option("--share/--no-share", default=False, show_default=True, help="Open a public Gradio share link.")
def demo_command(host: str, port: int, share: bool) -> None:
    """Open the web app: one tab per task that has a model."""
    from .app import launch

    click.echo(f"mmzoo app on http://{host}:{port} (Ctrl+C to stop)", err=True)
    launch(host=host, port=port, share=share)


@cli.command("doctor")
def doctor_command() -> None:
    """Check engines, plugins, devices and caches."""
    import importlib.util

    from .plugins import get_registry
    from .weights import hf_hub_cache, torch_hub_checkpoints

    registry = get_registry()
    click.echo(f"mmzoo {__version__} on Python {platform.python_version()} ({sys.executable})")
    binaries = sorted({b for spec in registry.models() for b in spec.binaries})
    for binary in binaries:
        found = shutil.which(binary)
        click.echo(f"engine   {binary:<12} {found or 'NOT FOUND'}")
    for module in ("torch", "transformers", "diffusers", "open_clip", "gradio"):
        click.echo(f"package  {module:<12} {'installed' if importlib.util.find_spec(module) else 'not installed'}")
    if importlib.util.find_spec("torch"):
        import torch

        device = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
        click.echo(f"device   {device} (torch {torch.__version__})")
    for record in registry.plugins.values():
        problems = "; ".join(filter(None, [record.load_error, *record.errors]))
        click.echo(f"plugin   {record.name:<24} {'ok' if record.ok else 'ERROR ' + problems}")
    for spec in registry.models():
        status = spec.status()
        click.echo(f"model    {spec.id:<30} {status}" + ("" if status.ready else f" ({status.hint})"))
    click.echo(f"cache    {'HF hub':<12} {hf_hub_cache()}")
    click.echo(f"cache    {'torch hub':<12} {torch_hub_checkpoints()}")
    click.echo(f"offline  HF_HUB_OFFLINE={os.environ.get('HF_HUB_OFFLINE', '0')}")


def main() -> None:
    cli(prog_name="mmzoo")


if __name__ == "__main__":
    main()
