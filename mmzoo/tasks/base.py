"""What every task and every model have in common.

A :class:`Task` is one kind of work (OCR, TTS, ...): it names the interface its models implement,
turns user inputs (paths, arrays, strings) into validated batches, calls the model's batched
method, and knows how to show the result as JSON, as a file and as a Gradio tab.
A :class:`Model` is one loaded implementation of a task's interface.

This module and the task modules import neither torch nor gradio at import time.
"""

from __future__ import annotations

import inspect
import json
import os
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Sequence

from ..errors import InvalidInput

if TYPE_CHECKING:
    from .tab import TabContext


class Model:
    """Base class of every model. Subclasses implement one task interface."""

    spec: Any = None  # its mmzoo.ModelSpec, set by mmzoo.load (the registry sits above the tasks)
    device: str = "cpu"

    @classmethod
    def download(cls, spec: Any) -> str:
        """Fetch the weights ahead of time; return a line saying what was done.

        Models whose weights come from a hub override this; the default is for system engines and
        weights shipped in a package.
        """
        if spec.weights.needs_download:
            raise NotImplementedError(f"{spec.id}: its plugin does not implement download()")
        return f"{spec.id}: nothing to download ({spec.weights.source} engine)"

    def close(self) -> None:
        """Release resources (called when the model leaves the cache)."""


@dataclass(frozen=True)
class Input:
    """One input or option of a task, as the CLI shows it.

    ``kind`` is one of: image, audio, text, texts, images, int, float, choice, flag, index (a
    gallery index folder) or retrieval_model (a model id); ``mmzoo.run`` opens the last two before
    the task sees them.
    Positional inputs come first on the command line, in declaration order.
    """

    name: str
    kind: str
    help: str
    positional: bool = False
    required: bool = True
    default: Any = None
    choices: tuple[str, ...] = ()
    multiple: bool = False
    bounds: tuple[float, float] | None = None  # int/float inputs: the allowed range, both ends included

    def describe(self) -> str:
        """The help text, with the range when there is one."""
        return f"{self.help} ({self.bounds[0]:g} to {self.bounds[1]:g})" if self.bounds else self.help


def check_bounds(task: "Task", values: dict[str, Any]) -> None:
    """Raise InvalidInput for a numeric input of ``task`` outside its range or of the wrong type,
    before any model work (a beam of a million would run for minutes)."""
    from ..media import check_float, check_int

    for field in task.inputs:
        value = values.get(field.name)
        if field.bounds is None or value is None:
            continue
        integer = field.kind == "int"
        # stricter than check_int's int(value): True is no count and 1.5 no whole number
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and value != int(value)):
            raise InvalidInput(f"{field.name} must be {'an integer' if integer else 'a number'}, got {value!r}")
        (check_int if integer else check_float)(field.name, value, *field.bounds)


class Task:
    """A kind of work. Subclass it, fill the class attributes and :meth:`run`."""

    id: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]
    interface: ClassVar[type[Model]]
    inputs: ClassVar[tuple[Input, ...]] = ()
    method: ClassVar[str | None] = None  # the interface's main method; the app passes it only options it takes
    output_suffix: ClassVar[str] = ".json"  # what ``mmzoo run TASK -o FILE`` writes by default

    def run(self, model: Model, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- presenting results ----------------------------------------------------------
    def to_json(self, result: Any) -> Any:
        """A JSON-ready view of a result (or a list of results)."""
        return to_jsonable(result)

    def to_text(self, result: Any) -> str:
        """What ``mmzoo run`` prints when asked for neither JSON nor a file."""
        return json.dumps(self.to_json(result), indent=2, ensure_ascii=False)

    def save(self, result: Any, path: Path) -> list[Path]:
        """Write a result to ``path``; return the files written."""
        path.write_text(json.dumps(self.to_json(result), indent=2, ensure_ascii=False) + "\n")
        return [path]

    def build_tab(self, ui: TabContext) -> None:
        """Add this task's components inside an open ``gr.Tab`` (gradio imported by the caller);
        ``ui`` is the app's :class:`~mmzoo.tasks.tab.TabContext`."""
        raise NotImplementedError(f"task {self.id!r} has no Gradio tab")

    def preferred_model(self, inputs: dict[str, Any]) -> str | None:
        """The model id these inputs call for when the caller names none (e.g. a gallery index's own
        model); None means the task's default model."""
        return None

    def check_model(self, model: Model) -> None:
        if not isinstance(model, self.interface):
            raise InvalidInput(
                f"model {getattr(model.spec, 'id', model)!r} does not implement task {self.id!r}"
            )


# -- helpers shared by the task modules ---------------------------------------------


def as_batch(value: Any, convert: Callable[[Any], Any], what: str) -> tuple[list[Any], bool]:
    """Convert one item or a list/tuple of items; also say whether a list was given."""
    if isinstance(value, (list, tuple)):
        if not value:
            raise InvalidInput(f"empty list of {what}s")
        return [convert(v) for v in value], True
    return [convert(value)], False


def unbatch(results: Sequence[Any], was_list: bool) -> Any:
    return list(results) if was_list else results[0]


def accepted_options(method: Callable[..., Any]) -> set[str] | None:
    """Names of the keyword-only options a model method takes; None when it takes ``**kwargs``.

    By convention a model method takes its batch positionally and its options keyword-only.
    """
    params = inspect.signature(method).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params if p.kind is p.KEYWORD_ONLY}


def call_with_options(method: Callable[..., Any], *args: Any, **options: Any) -> Any:
    """Call a model method, turning options it does not take into a clear InvalidInput."""
    accepted = accepted_options(method)
    unknown = sorted(set(options) - accepted) if accepted is not None else []
    if unknown:
        owner = getattr(getattr(method, "__self__", None), "spec", None)
        name = owner.id if owner is not None else method.__qualname__
        raise InvalidInput(
            f"{name} has no option {', '.join(map(repr, unknown))}; "
            f"its options: {', '.join(sorted(accepted)) or 'none'}"
        )
    return method(*args, **options)


def drop_unknown_options(task: Task, model: Model, inputs: dict[str, Any]) -> dict[str, Any]:
    """``inputs`` without the options neither ``task.run`` nor the model's main method takes.

    The app uses it: a tab shows every option of every model of its task (``mmzoo.run`` with
    ``ignore_unknown_options=True``). Tasks without a ``method``, and methods taking ``**kwargs``,
    keep every input.
    """
    accepted = accepted_options(getattr(model, task.method)) if task.method else None
    if accepted is None:
        return inputs
    params = inspect.signature(task.run).parameters.values()
    named = {p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    return {k: v for k, v in inputs.items() if k in accepted or k in named}


def output_paths(path: Path, count: int) -> list[Path]:
    """``path`` for one result; ``stem-0.ext``, ``stem-1.ext``, ... for several."""
    if count == 1:
        return [path]
    return [path.with_name(f"{path.stem}-{i}{path.suffix}") for i in range(count)]


def check_query_and_gallery(queries: dict[str, Any], galleries: dict[str, Any], k: int) -> None:
    """Exactly one query and exactly one non-empty gallery, named by keyword; ``k`` >= 1."""
    if sum(v is not None for v in queries.values()) != 1:
        raise InvalidInput(f"give exactly one query: {' or '.join(f'{n}=...' for n in queries)}")
    given = [v for v in galleries.values() if v is not None]
    if len(given) != 1 or len(given[0]) == 0:
        raise InvalidInput(f"give exactly one non-empty gallery: {' or '.join(f'{n}=[...]' for n in galleries)}")
    if k < 1:
        raise InvalidInput(f"k must be at least 1, got {k}")


def source_label(value: Any) -> str | None:
    """The path an input came from, if it came from a file."""
    return os.fspath(value) if isinstance(value, (str, os.PathLike)) else None


def to_jsonable(value: Any) -> Any:
    """Dataclasses, numpy scalars/arrays and PIL images to plain JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return value.to_dict()
        return to_jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    if hasattr(value, "size") and hasattr(value, "mode"):  # PIL image
        return {"image": {"size": list(value.size), "mode": value.mode}}
    return value


def join_embeddings(parts: Sequence[Any]) -> Any:
    """Chunks of ``embed_*`` outputs as one: arrays concatenated, lists chained."""
    import numpy as np

    if all(isinstance(p, list) for p in parts):
        return [item for p in parts for item in p]
    return np.concatenate([np.asarray(p) for p in parts])
