"""mmzoo: a plugin-based multimodal model zoo with one API, one CLI and one web app.

>>> import mmzoo
>>> [t.id for t in mmzoo.tasks()]          # doctest: +SKIP
>>> mmzoo.run("ocr", "page.png").text      # doctest: +SKIP
"""

from __future__ import annotations

from .api import clear_cache, load, models, run, tasks
from .errors import (
    DatasetError,
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

__version__ = "0.1.0"

__all__ = [
    "tasks", "models", "load", "run", "clear_cache",
    "ModelSpec", "Weights", "hookimpl",
    "MMZooError", "InvalidInput", "DatasetError", "UnknownTask", "UnknownModel",
    "WeightsUnavailable", "MissingDependency", "PluginError",
]
