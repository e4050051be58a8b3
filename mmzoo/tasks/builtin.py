"""The built-in plugin that registers the seven core tasks, in the order the app shows them."""

from __future__ import annotations

from typing import Any, Callable

from ..hookspecs import hookimpl
from .avmatch import AVMatchTask
from .caption import CaptionTask
from .ocr import OCRTask
from .retrieve import RetrieveTask
from .text2image import TextToImageTask
from .tts import TTSTask
from .vqa import VQATask

CORE_TASKS = (RetrieveTask, CaptionTask, VQATask, OCRTask, TTSTask, TextToImageTask, AVMatchTask)


@hookimpl
def register_tasks(register: Callable[[Any], None]) -> None:
    for task_class in CORE_TASKS:
        register(task_class())
