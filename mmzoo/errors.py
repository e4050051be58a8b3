"""One exception tree for everything mmzoo raises on purpose.

Every message says what went wrong *and* what to do about it, so the CLI can print it
on one line and the app can show it in the tab as is.
"""

from __future__ import annotations


class MMZooError(Exception):
    """Base class of every error mmzoo raises on purpose."""


class InvalidInput(MMZooError, ValueError):
    """An input (image, audio, text, option) cannot be used."""


class GenerationFailed(InvalidInput):
    """The model ran but made no usable output for this input (e.g. a speech decoder that never found
    the end of the sentence); rewording it, or another model, may work."""


class DatasetError(InvalidInput):
    """A dataset file is missing, malformed or lacks a field (the message names file and field)."""


class UnknownTask(MMZooError, LookupError):
    """No registered task has this id."""


class UnknownModel(MMZooError, LookupError):
    """No registered model has this id."""


class WeightsUnavailable(MMZooError):
    """A model's weights are neither cached nor downloadable right now."""


class MissingDependency(MMZooError):
    """A Python package or system program a model needs is not installed."""


class PluginError(MMZooError):
    """A plugin failed to import or registered something invalid."""


class Cancelled(MMZooError):
    """The caller stopped a long run (e.g. the app's Stop button) before it finished."""


__all__ = [
    "MMZooError",
    "InvalidInput",
    "DatasetError",
    "UnknownTask",
    "UnknownModel",
    "WeightsUnavailable",
    "MissingDependency",
    "PluginError",
    "Cancelled",
]
