"""The hooks a plugin may implement (entry-point group ``mmzoo``).

Each hook receives a ``register`` callback, so a plugin adds things with plain calls::

    @mmzoo.hookimpl
    def register_models(register):
        register(ModelSpec(id="ocr/my-engine", summary="...", factory="my_plugin:MyEngine"))
"""

from __future__ import annotations

from typing import Any, Callable

import pluggy

hookspec = pluggy.HookspecMarker("mmzoo")
hookimpl = pluggy.HookimplMarker("mmzoo")


@hookspec
def register_tasks(register: Callable[[Any], None]) -> None:
    """Register new tasks: call ``register(task)`` with a :class:`mmzoo.tasks.Task` instance."""


@hookspec
def register_models(register: Callable[[Any], None]) -> None:
    """Register models: call ``register(spec)`` with a :class:`mmzoo.ModelSpec` for each."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add subcommands to the ``mmzoo`` command line: ``cli`` is its :class:`click.Group`."""
