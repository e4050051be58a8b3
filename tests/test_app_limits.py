"""The app's per-model concurrency limit (ModelSpec.max_concurrency) on top of Gradio's queue."""

from __future__ import annotations

import threading
import time

import gradio as gr
import numpy as np
import pytest

import mmzoo
from mmzoo.app import TabContext
from mmzoo.plugins import get_registry
from mmzoo.tasks.tts import Speech, TTSModel


class SlowTTS(TTSModel):
    """Records how many calls run at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.running = self.most = 0

    def synthesize(self, texts, *, voice=None):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.2)
        with self.lock:
            self.running -= 1
        return [Speech(np.zeros(10, np.float32), 16000, text=t) for t in texts]


@pytest.mark.parametrize("limit", [1, 2])
def test_concurrent_requests_on_one_model_respect_its_limit(register_plugin, limit):
    class Plugin:
        @mmzoo.hookimpl
        def register_models(self, register):
            register(mmzoo.ModelSpec(id=f"tts/slow-{limit}", summary="slow", factory=SlowTTS,
                                     max_concurrency=limit))

    register_plugin(Plugin(), f"slow-{limit}")
    task = get_registry().task("tts")
    with gr.Blocks() as blocks:
        ui = TabContext(blocks, task, mmzoo.models("tts"), {})
    threads = [threading.Thread(target=ui.run, args=(f"tts/slow-{limit}", "hello")) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert mmzoo.load(f"tts/slow-{limit}").most == limit
