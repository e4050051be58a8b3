"""Task interfaces and result types. A plugin adds a task by subclassing :class:`Task`."""

from .base import Input, Model, Task

__all__ = ["Input", "Model", "Task"]
