"""The Python API: ``tasks()``, ``models()``, ``load()`` and ``run()``.

``run`` is the one door into a task, for user code, the CLI and the app's tabs alike. Loaded
models live in one bounded, thread-safe, least-recently-used cache, so they share them and a
model is never loaded twice at once.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any, Hashable

from .errors import InvalidInput, MissingDependency
from .plugins import get_registry
from .registry import ModelSpec
from .tasks.base import Model, Task, call_with_options, check_bounds, drop_unknown_options


def tasks() -> list[Task]:
    """Every registered task, in registration order (built-in tasks first)."""
    return get_registry().tasks()


def models(task: str | None = None) -> list[ModelSpec]:
    """Registered models, optionally of one task; each task's default model comes first."""
    return get_registry().models(task)


def load(model_id: str, device: str | None = None, dtype: str | None = None,
         weights: str | os.PathLike | None = None, **options: Any) -> Model:
    """Load a model (or return it from the cache).

    ``device`` (``"cpu"``, ``"cuda"``, ...), ``dtype`` (``"float32"``, ``"float16"``), ``weights``
    (a local directory instead of the model's default source) and a model's own load options
    (``safety_checker=False``, ``cpu_offload=True``, ...) go to the model's factory; a model that
    does not take one of them raises InvalidInput naming the options it does take. Each
    combination of options is its own cache entry.
    """
    spec = get_registry().model(model_id)
    key = (spec.id, device, dtype, os.fspath(weights) if weights is not None else None,
           tuple(sorted((k, repr(v)) for k, v in options.items())))
    return _cache.get_or_load(key, lambda: _instantiate(spec, device=device, dtype=dtype, weights=weights, **options))


def run(task: str, *args: Any, model: str | Model | None = None, ignore_unknown_options: bool = False,
        **kwargs: Any) -> Any:
    """Run a task on inputs with a model (the task's default model when ``model`` is None).

    Inputs may be single items or lists; a list gives a list of results. Examples::

        mmzoo.run("ocr", "page.png", lang="eng")
        mmzoo.run("tts", "hello world", voice="en-us")

    An option the model does not take raises InvalidInput, unless ``ignore_unknown_options``
    (the app's tabs show every option of every model) drops it.
    """
    task_obj = get_registry().task(task)
    check_bounds(task_obj, kwargs)  # before any model loads or runs
    kwargs = open_inputs(task_obj, kwargs)
    loaded = model_for(task, model, kwargs)
    if ignore_unknown_options:
        kwargs = drop_unknown_options(task_obj, loaded, kwargs)
    return task_obj.run(loaded, *args, **kwargs)


def model_for(task: str, model: str | Model | None = None, inputs: dict[str, Any] | None = None) -> Model:
    """The loaded model ``run(task, model=model, **inputs)`` uses: ``model``, else the one the
    (opened) inputs call for (an index's own model), else the task's default; checked to fit the task."""
    task_obj = get_registry().task(task)
    if isinstance(model, Model):
        loaded = model
    else:
        model = model or task_obj.preferred_model(inputs or {})
        spec = get_registry().model(model) if model else get_registry().default_model(task)
        if spec.task != task_obj.id:
            raise InvalidInput(f"model {spec.id} is a {spec.task!r} model, not a {task!r} model")
        loaded = load(spec.id)
    task_obj.check_model(loaded)
    return loaded


def _open_index(path: str | os.PathLike) -> Any:
    from .index import GalleryIndex

    return GalleryIndex.open(path)


def _open_retrieval_model(model_id: str) -> Model:
    spec = get_registry().model(os.fspath(model_id))
    if spec.task != "retrieve":
        raise InvalidInput(f"{spec.id} is a {spec.task!r} model; re-ranking needs a retrieval model, e.g. "
                           f"{get_registry().default_model('retrieve').id}")
    return load(spec.id)


#: How ``run`` opens a value given as a string for an input of these kinds (``Input.kind``): an
#: index folder -> its gallery index; a retrieval model id -> the loaded model.
OPENERS = {"index": _open_index, "retrieval_model": _open_retrieval_model}


def open_inputs(task: Task, inputs: dict[str, Any]) -> dict[str, Any]:
    """``inputs`` as the task takes them: a path given for an input of a kind in :data:`OPENERS`
    is opened (an index folder -> its :class:`~mmzoo.index.GalleryIndex`); the rest pass as they are."""
    kinds = {i.name: i.kind for i in task.inputs}
    return {name: OPENERS[kinds[name]](value)
            if kinds.get(name) in OPENERS and isinstance(value, (str, os.PathLike)) else value
            for name, value in inputs.items()}


def _instantiate(spec: ModelSpec, **kwargs: Any) -> Model:
    missing = spec.missing()
    if missing:
        hint = f"; {spec.install_hint}" if spec.install_hint else ""
        raise MissingDependency(f"{spec.id} needs {', '.join(missing)}{hint}")
    try:
        factory = spec.resolve_factory()
    except ImportError as exc:
        raise MissingDependency(
            f"{spec.id}: cannot import its code ({exc}); reinstall plugin {spec.plugin!r}"
        ) from exc
    options = {k: v for k, v in kwargs.items() if v is not None}
    model = call_with_options(factory, **options)
    if not isinstance(model, Model):
        raise TypeError(f"factory of {spec.id} returned {type(model).__name__}, not a mmzoo Model")
    model.spec = spec
    return model


class ModelCache:
    """A thread-safe LRU cache of loaded models; each key is loaded by one thread only.

    ``capacity`` bounds how many models it holds (``MMZOO_MAX_MODELS``, default 4)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._items: OrderedDict[Hashable, Model] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[Hashable, threading.Lock] = {}

    def get_or_load(self, key: Hashable, loader: Any) -> Model:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            key_lock = self._loading.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:  # another thread may have loaded it while we waited
                if key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key]
            model = loader()
            with self._lock:
                self._items[key] = model
                self._loading.pop(key, None)
                # Evicted models are dropped, not closed: another thread may still be running one,
                # and it is freed when the last reference goes. clear() closes models explicitly.
                while len(self._items) > self.capacity:
                    self._items.popitem(last=False)
            return model

    def clear(self) -> None:
        with self._lock:
            items = list(self._items.values())
            self._items.clear()
        for model in items:
            model.close()

    def __len__(self) -> int:
        return len(self._items)


def _capacity_from_env(default: int = 4) -> int:
    value = os.environ.get("MMZOO_MAX_MODELS", "")
    return int(value) if value.isdigit() and int(value) > 0 else default  # a bad value must not break import


_cache = ModelCache(_capacity_from_env())


def clear_cache() -> None:
    """Unload every cached model."""
    _cache.clear()
