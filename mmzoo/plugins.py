"""The plugin manager: built-in plugins, entry points and the registry they fill.

Every plugin, built-in or not, is an ordinary pluggy plugin. Plugins are called one at a time
(not through pluggy's single hook call) so that a plugin that raises is recorded with its
error and skipped, and the others still register.
"""

from __future__ import annotations

import importlib.metadata
import threading
from typing import Any, Callable

import pluggy

from . import hookspecs
from .registry import PluginRecord, Registry

ENTRY_POINT_GROUP = "mmzoo"
BUILTIN_PLUGINS = ("mmzoo.tasks.builtin",)

_lock = threading.RLock()
_manager: pluggy.PluginManager | None = None
_records: dict[str, PluginRecord] = {}
_registry: Registry | None = None


def get_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, with built-ins and entry points loaded once."""
    global _manager
    with _lock:
        if _manager is None:
            manager = pluggy.PluginManager("mmzoo")
            manager.add_hookspecs(hookspecs)
            for module_name in BUILTIN_PLUGINS:
                module = importlib.import_module(module_name)
                manager.register(module, name=module_name)
                _records[module_name] = PluginRecord(module_name, source="builtin")
            _load_entry_points(manager)
            _manager = manager
        return _manager


def _load_entry_points(manager: pluggy.PluginManager) -> None:
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        record = PluginRecord(ep.name, version=dist.version if dist else None, source="entrypoint")
        _records[ep.name] = record
        try:
            plugin = ep.load()
            if manager.is_registered(plugin):
                continue
            manager.register(plugin, name=ep.name)
        except Exception as exc:  # a broken plugin must never break mmzoo
            record.load_error = _one_line(exc)


def register_plugin(plugin: Any, name: str | None = None) -> str:
    """Register a plugin object at run time (tests, notebooks); return its name."""
    with _lock:
        manager = get_manager()
        name = manager.register(plugin, name=name)
        _records[name] = PluginRecord(name, source="runtime")
        invalidate()
        return name


def unregister_plugin(name: str) -> None:
    with _lock:
        manager = get_manager()
        plugin = manager.get_plugin(name)
        if plugin is not None:
            manager.unregister(plugin, name=name)
        _records.pop(name, None)
        invalidate()


def invalidate() -> None:
    """Forget the built registry so the next call rebuilds it from the plugins."""
    global _registry
    with _lock:
        _registry = None


def reset() -> None:
    """Forget everything, entry points included (after ``mmzoo install``/``uninstall``)."""
    global _manager
    with _lock:
        _manager = None
        _records.clear()
        invalidate()
        importlib.invalidate_caches()


def get_registry() -> Registry:
    """The registry built from every plugin's ``register_tasks`` then ``register_models``."""
    global _registry
    with _lock:
        if _registry is None:
            manager = get_manager()
            registry = Registry()
            for record in _records.values():
                record.clear_registrations()
            _call_each(manager, "register_tasks", lambda rec: _adder(registry.add_task, rec, rec.tasks, "id"))
            _call_each(manager, "register_models", lambda rec: _adder(registry.add_model, rec, rec.models, "id"))
            registry.plugins = dict(_records)
            _registry = registry
        return _registry


def call_register_commands(cli: Any) -> None:
    """Let plugins add CLI commands; a failing plugin is recorded and skipped."""
    _call_each(get_manager(), "register_commands", lambda rec: cli, argname="cli")


def _adder(add: Callable[[Any, str], Any], record: PluginRecord, names: list[str], attr: str):
    def register(item: Any) -> None:
        try:
            added = add(item, record.name)
        except Exception as exc:
            record.errors.append(f"rejected {getattr(item, attr, item)!r}: {_one_line(exc)}")
        else:
            names.append(getattr(added if added is not None else item, attr))

    return register


def _call_each(manager: pluggy.PluginManager, hook_name: str, make_arg: Callable[[PluginRecord], Any],
               argname: str = "register") -> None:
    hook = getattr(manager.hook, hook_name)
    for impl in hook.get_hookimpls():  # in registration order: built-ins, entry points, run-time plugins
        record = _records.setdefault(impl.plugin_name, PluginRecord(impl.plugin_name, source="runtime"))
        record.hooks.append(hook_name)
        try:
            impl.function(**{argname: make_arg(record)})
        except Exception as exc:
            record.errors.append(f"{hook_name} raised {_one_line(exc)}")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
