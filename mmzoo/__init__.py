"""mmzoo: a plugin-based multimodal model zoo with one API, one CLI and one web app.

>>> import mmzoo
>>> [t.id for t in mmzoo.tasks()]          # doctest: +SKIP
>>> mmzoo.run("ocr", "page.png").text      # doctest: +SKIP
"""

from __future__ import annotations

from ._version import __version__
from .api import clear_cache, load, models, run, tasks
from .errors import (
    DatasetError,
    GenerationFailed,
    InvalidInput,
    MissingDependency,
    MMZooError,
    PluginError,
    UnknownModel,
    UnknownTask,
    WeightsUnavailable,
)
from .hookspecs import hookimpl
from .registry import ModelSpec, Weights

__all__ = [
    "__version__", "tasks", "models", "load", "run", "clear_cache",
    "ModelSpec", "Weights", "hookimpl",
    "MMZooError", "InvalidInput", "DatasetError", "GenerationFailed", "UnknownTask", "UnknownModel",
    "WeightsUnavailable", "MissingDependency", "PluginError",
]
