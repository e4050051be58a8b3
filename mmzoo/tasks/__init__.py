"""Task interfaces and result types. A plugin adds a task by subclassing :class:`Task`."""

from .base import Input, Model, Task
from .tab import TabContext

__all__ = ["Input", "Model", "Task", "TabContext"]
