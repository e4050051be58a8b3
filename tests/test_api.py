"""The Python API: tasks, models, defaults, loading, the cache, errors."""

from __future__ import annotations

import threading
import time

import pytest

import mmzoo
from mmzoo.api import ModelCache
from mmzoo.tasks.base import Model, Task
from mmzoo.tasks.ocr import OCRModel, OCRResult
from mmzoo.tasks.tts import TTSModel

CORE_TASKS = ["retrieve", "caption", "vqa", "ocr", "tts", "text2image", "avmatch"]


def test_seven_core_tasks_in_order():
    assert [t.id for t in mmzoo.tasks()][:7] == CORE_TASKS


def test_every_core_task_has_interface_inputs_and_tab():
    for task in mmzoo.tasks()[:7]:
        assert issubclass(task.interface, Model) and task.interface is not Model
        assert task.title and task.summary
        assert type(task).build_tab is not Task.build_tab, f"{task.id} has no tab builder"


def test_builtin_plugins_register_default_models():
    assert mmzoo.models("ocr")[0].id == "ocr/tesseract"
    assert mmzoo.models("tts")[0].id == "tts/hibari"  # espeak-ng is the default only without mmzoo-hibari
    assert all(s.task == "ocr" for s in mmzoo.models("ocr"))


def test_default_model_comes_first(register_plugin):
    class Plugin:
        @mmzoo.hookimpl
        def register_models(self, register):
            register(mmzoo.ModelSpec(id="ocr/zz-other", summary="another engine", factory=OCRModel))

    register_plugin(Plugin(), "other-ocr")
    ids = [s.id for s in mmzoo.models("ocr")]
    assert ids[0] == "ocr/tesseract" and "ocr/zz-other" in ids


def test_unknown_model_and_task_are_typed_errors():
    with pytest.raises(mmzoo.UnknownModel, match="ocr/nope.*ocr/tesseract"):
        mmzoo.load("ocr/nope")
    with pytest.raises(mmzoo.UnknownTask, match="known tasks"):
        mmzoo.run("nope", "x")
    with pytest.raises(mmzoo.UnknownTask):
        mmzoo.models("nope")


def test_model_of_another_task_is_refused(ocr_image):
    with pytest.raises(mmzoo.InvalidInput, match="is a 'tts' model"):
        mmzoo.run("ocr", ocr_image, model="tts/espeak-ng")


def test_unknown_option_names_the_accepted_ones(ocr_image):
    with pytest.raises(mmzoo.InvalidInput, match="no option 'colour'.*lang, oem, psm"):
        mmzoo.run("ocr", ocr_image, colour="red")


def test_load_is_cached_and_run_uses_the_default(ocr_image):
    assert mmzoo.load("ocr/tesseract") is mmzoo.load("ocr/tesseract")
    result = mmzoo.run("ocr", ocr_image)
    assert isinstance(result, OCRResult) and "mmzoo" in result.text
    assert isinstance(mmzoo.run("ocr", [ocr_image, ocr_image]), list)


class CountingTTS(TTSModel):
    created = 0
    closed = 0

    def __init__(self):
        type(self).created += 1
        time.sleep(0.05)  # widen the window for a double load

    def close(self):
        type(self).closed += 1


def test_cache_loads_each_key_once_across_threads():
    cache = ModelCache(capacity=2)
    CountingTTS.created = 0
    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get_or_load("k", CountingTTS))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert CountingTTS.created == 1 and len({id(m) for m in got}) == 1


def test_cache_evicts_least_recently_used_and_clear_closes():
    cache = ModelCache(capacity=2)
    CountingTTS.closed = 0
    a = cache.get_or_load("a", CountingTTS)
    b = cache.get_or_load("b", CountingTTS)
    assert cache.get_or_load("a", CountingTTS) is a  # "a" is now the most recent
    cache.get_or_load("c", CountingTTS)  # evicts "b": dropped, not closed (a thread may still use it)
    assert len(cache) == 2 and CountingTTS.closed == 0
    assert cache.get_or_load("a", CountingTTS) is a and cache.get_or_load("b", CountingTTS) is not b
    cache.clear()
    assert len(cache) == 0 and CountingTTS.closed == 2


def test_missing_program_is_a_missing_dependency(register_plugin):
    class Plugin:
        @mmzoo.hookimpl
        def register_models(self, register):
            register(mmzoo.ModelSpec(id="ocr/ghost", summary="needs a program that is not there",
                                     factory=OCRModel, binaries=("no-such-ocr-engine",),
                                     install_hint="apt-get install ghost-ocr"))

    register_plugin(Plugin(), "ghost")
    with pytest.raises(mmzoo.MissingDependency, match="no-such-ocr-engine.*apt-get install ghost-ocr"):
        mmzoo.load("ocr/ghost")


def test_a_dotted_requirement_of_a_missing_package_is_reported_not_raised(register_plugin):
    class Plugin:
        @mmzoo.hookimpl
        def register_models(self, register):
            register(mmzoo.ModelSpec(id="ocr/dotted", summary="needs a sub-module", factory=OCRModel,
                                     requires=("no_such_package.models.blip",)))

    register_plugin(Plugin(), "dotted")
    (spec,) = [s for s in mmzoo.models("ocr") if s.id == "ocr/dotted"]
    assert spec.missing() == ["Python package 'no_such_package.models.blip'"]
    with pytest.raises(mmzoo.MissingDependency, match="no_such_package"):
        mmzoo.load("ocr/dotted")


def test_load_passes_device_only_to_models_that_take_it(register_plugin):
    class DeviceOCR(OCRModel):
        def __init__(self, *, device=None):
            self.device = device

    class Plugin:
        @mmzoo.hookimpl
        def register_models(self, register):
            register(mmzoo.ModelSpec(id="ocr/devicey", summary="takes a device", factory=DeviceOCR))

    register_plugin(Plugin(), "devicey")
    assert mmzoo.load("ocr/devicey", device="cpu").device == "cpu"
    with pytest.raises(mmzoo.InvalidInput, match="no option 'device'"):
        mmzoo.load("ocr/tesseract", device="cuda")


def test_bad_inputs_raise_typed_errors(text_file, empty_file):
    with pytest.raises(mmzoo.InvalidInput, match="is not an image"):
        mmzoo.run("ocr", text_file)
    with pytest.raises(mmzoo.InvalidInput, match="empty"):
        mmzoo.run("ocr", empty_file)
    with pytest.raises(mmzoo.InvalidInput, match="text is empty"):
        mmzoo.run("tts", "")
    with pytest.raises(mmzoo.InvalidInput, match="empty list"):
        mmzoo.run("tts", [])
    with pytest.raises(mmzoo.UnknownModel):
        mmzoo.run("tts", "hi", model="tts/nope")


@pytest.mark.parametrize("task, args, option, value", [
    ("caption", ("img",), "beam_size", 10**6), ("caption", ("img",), "num_captions", 0),
    ("caption", ("img",), "max_length", 1.5), ("vqa", ("img", "what?"), "top_k", True),
    ("retrieve", (), "k", -1), ("text2image", ("a cat",), "num_images", 1000),
])
def test_numeric_options_out_of_range_fail_before_any_model_loads(task, args, option, value, monkeypatch):
    from mmzoo import api

    def no_model(*_, **__):
        raise AssertionError("a model was loaded for an option out of range")

    monkeypatch.setattr(api, "model_for", no_model)
    with pytest.raises(mmzoo.InvalidInput, match=option):
        mmzoo.run(task, *args, **{option: value})
