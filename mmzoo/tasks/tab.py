"""The contract between a task's Gradio tab and the app: what ``Task.build_tab(ui)`` may use.

It lives here, below the app, so that tasks and plugins write tabs without importing
:mod:`mmzoo.app` (which implements it). A tab's event handlers are also its HTTP endpoints:
name their parameters as ``mmzoo.run`` names the task's inputs (``image``, ``question``, ...),
with ``model`` last, so a program calls ``client.predict(image=..., question=..., api_name="/vqa")``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Protocol, runtime_checkable

if TYPE_CHECKING:
    import gradio as gr
    from PIL import Image as PILImage


@runtime_checkable
class TabContext(Protocol):
    """What a task's ``build_tab`` gets: its models and safe ways to load and run them.

    ``run``, ``load`` and ``image`` turn mmzoo errors into a message in the tab (``gr.Error``);
    the app keeps serving.
    """

    blocks: gr.Blocks  # the app being built, for page-load events
    task: Any  # the mmzoo.tasks.Task whose tab this is (not imported: base.py imports this module)
    specs: list[Any]  # the task's models (mmzoo.ModelSpec), default first

    @property
    def model_ids(self) -> list[str]:
        """Ids of the task's models, default first."""

    def models_of(self, task: str) -> list[str]:
        """Ids of another task's models, default first (e.g. the retrieval models a tab re-ranks with)."""

    def model_dropdown(self) -> gr.Dropdown:
        """The model menu (its value is a model id)."""

    def run(self, model_id: str | None, *args: Any, **options: Any) -> Any:
        """``mmzoo.run(task, *args, model=model_id, **options)``; options the model does not take are
        dropped (a tab shows every option of every model), and each model runs at most
        ``ModelSpec.max_concurrency`` requests at once. None: the tab's first model (the default)."""

    def load(self, model_id: str) -> Any:
        """The loaded model (from the shared cache)."""

    def image(self, upload: Any) -> PILImage.Image:
        """An uploaded image decoded once, to hand to :meth:`run` and to draw on."""

    def open_input(self, name: str, value: Any) -> Any:
        """The task's input ``name`` as ``run`` would open it (e.g. an index folder -> its gallery);
        errors are raised as they are, for a tab to show where it likes."""

    def on_model_change(self, dropdown: gr.Dropdown, fn: Callable[[str], Any], output: gr.Component) -> None:
        """Refresh ``output`` with ``fn(model_id)`` when the page opens and when the model changes."""

    def examples(self, rows: list[list[Any]], inputs: list[gr.Component]) -> None:
        """Example rows for ``inputs``."""

    def asset(self, name: str) -> str:
        """Path of a file shipped in ``mmzoo/assets`` (examples that work offline)."""
