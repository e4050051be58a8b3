"""The Gradio web app: one tab per task that has at least one model.

Tabs come in a fixed order (the core tasks, then plugin tasks in registration order). Each tab
is built by its task's ``build_tab`` with a :class:`TabContext` (the contract of
:mod:`mmzoo.tasks.tab`), which runs the task through ``mmzoo.run``, limits how many requests run
on one model at once, and turns every error into a readable message in the tab while the app
keeps serving.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from importlib import resources
from typing import Any, Callable, Iterator

import gradio as gr

from . import api
from .errors import MMZooError
from .media import load_image
from .plugins import get_registry
from .registry import ModelSpec
from .tasks.base import Task

log = logging.getLogger(__name__)

CORE_TAB_ORDER = ("retrieve", "caption", "vqa", "ocr", "tts", "text2image", "avmatch")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860


class TabContext:
    """The app's :class:`mmzoo.tasks.tab.TabContext`: a tab's models and safe ways to load and run them."""

    def __init__(self, blocks: gr.Blocks, task: Task, specs: list[ModelSpec],
                 limits: dict[str, threading.BoundedSemaphore]) -> None:
        self.blocks = blocks
        self.task = task
        self.specs = specs
        self._limits = limits

    @property
    def model_ids(self) -> list[str]:
        return [s.id for s in self.specs]

    @staticmethod
    def models_of(task: str) -> list[str]:
        return [s.id for s in get_registry().models(task)]

    def model_dropdown(self) -> gr.Dropdown:
        """The model menu; each label says whether the model runs now (``ready``, ``download 990 MB``, ...)."""
        choices = [(f"{s.id} · {s.status()} · {s.summary}", s.id) for s in self.specs]
        return gr.Dropdown(choices=choices, value=self.specs[0].id, label="Model", elem_classes=["mmzoo-model"])

    def load(self, model_id: str) -> Any:
        with shown_in_tab():
            return api.load(model_id)

    def run(self, model_id: str | None, *args: Any, **options: Any) -> Any:
        """``mmzoo.run`` this tab's task; options the model does not take are dropped (the UI shows them all)."""
        model_id = model_id or self.specs[0].id
        with shown_in_tab(model_id):
            spec = get_registry().model(model_id)
            limit = self._limits.setdefault(spec.id, threading.BoundedSemaphore(spec.max_concurrency))
            with limit:
                return api.run(self.task.id, *args, model=spec.id, ignore_unknown_options=True, **options)

    def image(self, upload: Any) -> Any:
        """An uploaded image decoded once, for the model and for drawing on."""
        with shown_in_tab():
            return load_image(upload)

    def open_input(self, name: str, value: Any) -> Any:
        """The task's input ``name`` opened as ``mmzoo.run`` opens it (an index folder -> its index)."""
        return api.open_inputs(self.task, {name: value})[name]

    def on_model_change(self, dropdown: gr.Dropdown, fn: Callable[[str], Any], output: gr.Component) -> None:
        """Refresh ``output`` from the selected model when the page opens and when the model changes."""

        def refresh(model_id: str) -> Any:
            try:
                return fn(model_id)
            except (gr.Error, MMZooError):  # the run button reports the problem
                return gr.skip()

        # One at a time, in the order they came: the page-load refresh of the default model must not land
        # after (and overwrite) the refresh of a model picked while it ran. Not an HTTP endpoint.
        hidden = {"show_progress": "hidden", "api_visibility": "private", "concurrency_limit": 1,
                  "concurrency_id": f"model-refresh-{id(dropdown)}"}
        dropdown.change(refresh, [dropdown], [output], **hidden)
        self.blocks.load(refresh, [dropdown], [output], **hidden)

    def examples(self, rows: list[list[Any]], inputs: list[gr.Component]) -> None:
        gr.Examples(rows, inputs, label="Examples")

    @staticmethod
    def asset(name: str) -> str:
        """Path of a file shipped in ``mmzoo/assets`` (examples that work offline)."""
        return str(resources.files("mmzoo") / "assets" / name)


@contextlib.contextmanager
def shown_in_tab(model_id: str | None = None) -> Iterator[None]:
    """Turn mmzoo errors, and any error of a model's run, into a message in the tab (``gr.Error``)."""
    try:
        yield
    except MMZooError as exc:
        raise gr.Error(str(exc), print_exception=False) from None
    except gr.Error:
        raise
    except Exception as exc:  # a model bug must not take the app down
        if model_id is None:
            raise
        log.exception("%s failed", model_id)
        raise gr.Error(f"{model_id} failed: {type(exc).__name__}: {exc}", print_exception=False) from None


def tab_order(tasks: list[Task]) -> list[Task]:
    rank = {task_id: i for i, task_id in enumerate(CORE_TAB_ORDER)}
    return sorted(tasks, key=lambda t: rank.get(t.id, len(rank)))  # stable: plugin tasks keep their order


def build_app() -> gr.Blocks:
    """The app for every task that has a model, on the currently installed plugins."""
    registry = get_registry()
    limits: dict[str, threading.BoundedSemaphore] = {}
    with gr.Blocks(title="mmzoo") as blocks:
        gr.Markdown("# mmzoo\nA multimodal model zoo: pick a task, pick a model, try it on your own data.")
        shown = [t for t in tab_order(registry.tasks()) if registry.models(t.id)]
        if not shown:
            gr.Markdown("No models are installed. Install a plugin: `mmzoo install mmzoo-tesseract`.")
        with gr.Tabs():
            for task in shown:
                with gr.Tab(task.title, id=task.id, elem_id=f"tab-{task.id}"):
                    gr.Markdown(task.summary)
                    try:
                        task.build_tab(TabContext(blocks, task, registry.models(task.id), limits))
                    except Exception as exc:  # a broken plugin tab must not break the others
                        log.exception("tab %s", task.id)
                        gr.Markdown(f"**This tab could not be built:** {type(exc).__name__}: {exc}")
        broken = [r for r in registry.plugins.values() if not r.ok]
        if broken:
            with gr.Accordion(f"{len(broken)} plugin(s) reported problems", open=False):
                gr.Markdown("\n".join(f"- **{r.name}**: {'; '.join(filter(None, [r.load_error, *r.errors]))}"
                                      for r in broken))
    return blocks


def launch(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, share: bool = False, block: bool = True,
           concurrency: int = 4, quiet: bool = False) -> gr.Blocks:
    """Build and serve the app (on 127.0.0.1 unless told otherwise); ``block=False`` returns at once."""
    blocks = build_app()
    blocks.queue(default_concurrency_limit=concurrency)
    # show_error: Gradio's own input checks (e.g. a text file given to an image box) reach the tab too.
    blocks.launch(server_name=host, server_port=port, share=share, prevent_thread_lock=not block,
                  show_error=True, quiet=quiet, footer_links=["api"], theme=gr.themes.Soft())
    return blocks
