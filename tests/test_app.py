"""The Gradio app, driven through gradio_client as a program would use it."""

from __future__ import annotations

import gradio as gr
import numpy as np
import pytest
import soundfile
from PIL import Image
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

import mmzoo
from mmzoo.app import TabContext, build_app
from mmzoo.plugins import get_registry
from mmzoo.tasks.base import Input, Model, Task, accepted_options
from mmzoo.tasks.tts import Speech, TTSModel
from mmzoo.tasks.tab import TabContext as TabContract
from mmzoo.testing import running_app
from mmzoo.testing.doubles import DoublesPlugin, colour_image, write_tone


def tab_ids(blocks: gr.Blocks) -> list[str]:
    return [b.id for b in blocks.blocks.values() if isinstance(b, gr.Tab)]


@pytest.fixture
def client(app_url):
    return Client(app_url, verbose=False, analytics_enabled=False)


def test_only_tasks_with_models_get_tabs():
    # caption, vqa: mmzoo-classic-vl; text2image: mmzoo-diffusers; avmatch: mmzoo-davenet
    assert tab_ids(build_app()) == ["retrieve", "caption", "vqa", "ocr", "tts", "text2image", "avmatch"]


def test_tabs_follow_the_fixed_order(register_plugin):
    register_plugin(DoublesPlugin(), "doubles")
    assert tab_ids(build_app()) == ["retrieve", "caption", "vqa", "ocr", "tts", "text2image", "avmatch"]


#: Each endpoint's parameters, in order: the names mmzoo.run takes for its task, then the model.
ENDPOINTS = {
    "/retrieve": ("retrieve", ["text", "image", "images", "k", "model"]),
    "/retrieve_index": ("retrieve", ["text", "image", "index", "k", "model"]),
    "/retrieve_texts": ("retrieve", ["text", "image", "texts", "k", "model"]),
    "/zero_shot": ("retrieve", ["image", "labels", "model"]),
    "/caption": ("caption", ["image", "num_captions", "beam_size", "max_length", "model"]),
    "/vqa": ("vqa", ["image", "question", "top_k", "model"]),
    "/ocr": ("ocr", ["image", "lang", "psm", "oem", "model"]),
    "/tts": ("tts", ["text", "voice", "speed", "rate", "pitch", "model"]),
    "/text2image": ("text2image", ["prompt", "image", "mask", "seed", "num_images", "negative_prompt", "steps",
                                   "guidance_scale", "strength", "scheduler", "rerank_with", "model"]),
    "/avmatch": ("avmatch", ["audio", "images", "k", "model"]),
    "/avmatch_image": ("avmatch", ["image", "audios", "k", "model"]),
}


def names_run_takes(task_id: str) -> set[str]:
    """``model``, the task's inputs, and the options of its models (``-O`` on the command line): a tab
    shows every option of every model of its task (read from their classes, none is loaded)."""
    task = get_registry().task(task_id)
    names = {"model"} | {i.name for i in task.inputs}
    if task.method:
        for spec in mmzoo.models(task_id):
            names |= accepted_options(getattr(spec.resolve_factory(), task.method)) or set()
    return names


def test_each_endpoint_takes_the_names_mmzoo_run_takes(register_plugin):
    register_plugin(DoublesPlugin(), "doubles")
    with running_app() as url:
        info = Client(url, verbose=False, analytics_enabled=False).view_api(print_info=False, return_format="dict")
    endpoints = info["named_endpoints"]  # only the tasks' (helpers such as menu refreshes are private)
    assert {name: [p["parameter_name"] for p in e["parameters"]] for name, e in endpoints.items()} \
        == {name: params for name, (_, params) in ENDPOINTS.items()}
    for name, (task_id, params) in ENDPOINTS.items():
        assert set(params) <= names_run_takes(task_id), name


def test_ocr_tab(client, ocr_image):
    text, boxes, words = client.predict(image=handle_file(str(ocr_image)), lang="eng", psm=3, oem=3,
                                        model="ocr/tesseract", api_name="/ocr")
    assert text == mmzoo.run("ocr", ocr_image).text
    assert boxes.endswith(".png")
    assert "quick" in [row[0] for row in words["data"]]


def test_tts_tab(client):
    audio_path, speed, mel_path, alignment = client.predict(text="hello world", voice="en-us", rate=175, pitch=50,
                                                            model="tts/espeak-ng", api_name="/tts")
    assert "x real time" in speed and not alignment["visible"]  # espeak-ng has no attention to show
    waveform, rate = soundfile.read(audio_path)
    assert rate == 22050 and 0.5 < len(waveform) / rate < 2.5 and np.abs(waveform).max() > 0.05
    assert mel_path.endswith(".png")
    audio_path, *_ = client.predict(text="hello world", speed=1.2, model="tts/hibari", api_name="/tts")  # the default
    waveform, rate = soundfile.read(audio_path)
    assert rate == 24000 and 0.3 < len(waveform) / rate < 2.5


class AlignedTone(TTSModel):
    """A tone whose 'attention' walks along the text: one decoder step per character."""

    def synthesize(self, texts, *, voice=None):
        return [Speech(np.sin(np.arange(2205 * len(t), dtype=np.float32) / 5) * 0.5, 22050, text=t,
                       alignment=np.eye(len(t), dtype=np.float32)) for t in texts]


class AlignedPlugin:
    @mmzoo.hookimpl
    def register_models(self, register):
        register(mmzoo.ModelSpec(id="tts/aligned", summary="test double with an alignment", factory=AlignedTone))


def test_tts_tab_shows_an_attention_models_alignment(register_plugin):
    register_plugin(AlignedPlugin(), "aligned")
    with running_app() as url:
        client = Client(url, verbose=False, analytics_enabled=False)
        audio_path, speed, mel_path, alignment = client.predict(text="hello", model="tts/aligned", api_name="/tts")
    assert alignment["visible"] and Image.open(alignment["value"]).size[0] >= 5
    assert "0.50 s of speech at 22050 Hz" in speed


def test_bad_input_shows_a_message_and_the_app_keeps_serving(client, text_file, ocr_image):
    with pytest.raises(AppError, match="cannot identify image file"):  # Gradio's own check, shown as is
        client.predict(image=handle_file(str(text_file)), api_name="/ocr")
    with pytest.raises(AppError, match="text is empty"):
        client.predict(text="   ", voice="en-us", api_name="/tts")
    with pytest.raises(AppError, match="not installed"):
        client.predict(image=handle_file(str(ocr_image)), lang="klingon", api_name="/ocr")
    with pytest.raises(AppError, match="not in the list of choices"):  # Gradio's check of the model menu
        client.predict(image=handle_file(str(ocr_image)), model="tts/espeak-ng", api_name="/ocr")
    text, _, _ = client.predict(image=handle_file(str(ocr_image)), lang="eng", api_name="/ocr")
    assert "quick brown fox" in text


def test_core_tabs_route_inputs_to_their_models(register_plugin, tmp_path):
    register_plugin(DoublesPlugin(), "doubles")
    paths = {}
    for colour in ("red", "green", "blue"):
        paths[colour] = tmp_path / f"{colour}.png"
        colour_image(colour).save(paths[colour])
    gallery = [handle_file(str(paths[c])) for c in ("red", "green", "blue")]
    with running_app() as url:
        client = Client(url, verbose=False, analytics_enabled=False)
        hits = client.predict(text="something green", images=gallery, k=2, model="retrieve/colour", api_name="/retrieve")
        assert len(hits) == 2 and hits[0]["image"].endswith("green.png")
        assert float(hits[0]["caption"].split()[0]) > float(hits[1]["caption"].split()[0])  # "0.981 · green.png"
        text, attention = client.predict(image=handle_file(str(paths["blue"])), num_captions=2, beam_size=3,
                                         max_length=20, model="caption/colour", api_name="/caption")
        assert text == "a blue square\nsomething blue"
        assert not attention["value"] and not attention["visible"]  # this double returns no attention
        with pytest.raises(Exception, match="1000000"):  # the HTTP API, beyond the slider: refused, the app serves on
            client.predict(image=handle_file(str(paths["blue"])), num_captions=1, beam_size=10**6, max_length=20,
                           model="caption/colour", api_name="/caption")
        answers = client.predict(image=handle_file(str(paths["red"])), question="what colour?", top_k=2,
                                 model="vqa/colour", api_name="/vqa")
        assert answers["label"] == "red" and [c["label"] for c in answers["confidences"]] == ["red", "yes"]
        painted, details = client.predict(prompt="a blue picture", image=None, seed=7, model="text2image/colour",
                                          api_name="/text2image")
        assert tuple(np.asarray(Image.open(painted[0]["image"]))[0, 0]) == (30, 30, 220)
        assert painted[0]["caption"] == "seed 7" and details[0]["seed"] == 7
        loud = write_tone(tmp_path / "loud.wav", 0.9)
        black, white = tmp_path / "black.png", tmp_path / "white.png"
        Image.new("RGB", (32, 32), "black").save(black)
        Image.new("RGB", (32, 32), "white").save(white)
        matches, note, heat, signal, _ = client.predict(audio=handle_file(str(loud)), images=[
            handle_file(str(black)), handle_file(str(white))], model="avmatch/loudness", api_name="/avmatch")
        assert matches[0]["image"].endswith("white.png") and heat.endswith(".png") and signal.endswith(".png")
        edited, details = client.predict(prompt="a blue picture", image={"background": handle_file(str(black)),
                                         "layers": [], "composite": None}, model="text2image/colour",
                                         api_name="/text2image")
        assert Image.open(edited[0]["image"]).size == (32, 32)  # the uploaded image was edited (a generated one is 64x64)
        assert details[0]["mode"] == "edit"


def test_a_tab_runs_its_task_through_mmzoo_run(register_plugin):
    """Its checks, its model choice, and one rule for the options a tab shows but a model lacks."""
    register_plugin(DoublesPlugin(), "doubles")
    with gr.Blocks() as blocks:
        ui = TabContext(blocks, get_registry().task("text2image"), mmzoo.models("text2image"), {})
    assert isinstance(ui, TabContract)
    base, mask = Image.new("RGB", (8, 8), "white"), Image.new("L", (8, 8), 0)
    mask.paste(255, (0, 0, 4, 8))  # repaint the left half
    painted = ui.run("text2image/colour", "a blue", image=base, mask=mask, seed=1, steps=30)  # no model takes steps
    assert painted.mode == "inpaint" and painted.image.getpixel((0, 0)) == (30, 30, 220)
    assert painted.image.getpixel((7, 0)) == (255, 255, 255)  # task inputs (image, mask) are never dropped
    with pytest.raises(mmzoo.InvalidInput, match="no option 'steps'"):  # outside the app, an unknown option is an error
        mmzoo.run("text2image", "a blue", steps=30, model="text2image/colour")
    with pytest.raises(gr.Error, match="is a 'vqa' model, not a 'text2image' model"):
        ui.run("vqa/colour", "a blue")
    with pytest.raises(gr.Error, match="unknown model"):
        ui.run("text2image/nope", "a blue")


class EchoModel(Model):
    def echo(self, texts, *, times: int = 1):
        return [t * times for t in texts]


class EchoTask(Task):
    id = "echo"
    title = "Echo"
    summary = "Say it again."
    interface = EchoModel
    method = "echo"
    inputs = (Input("text", "text", "what to repeat", positional=True),)

    def run(self, model, text, **options):
        return model.echo([text], **options)[0]

    def build_tab(self, ui):
        box = gr.Textbox(label="Text")
        out = gr.Textbox(label="Echo")
        model = ui.model_dropdown()
        gr.Button("Echo").click(lambda m, t: ui.run(m, t, times=2), [model, box], [out], api_name="echo")


class BrokenTabTask(EchoTask):
    id = "broken"
    title = "Broken"

    def build_tab(self, ui):
        raise RuntimeError("this tab is broken on purpose")


class TaskPlugin:
    @mmzoo.hookimpl
    def register_tasks(self, register):
        register(EchoTask())
        register(BrokenTabTask())

    @mmzoo.hookimpl
    def register_models(self, register):
        register(mmzoo.ModelSpec(id="echo/twice", summary="repeats text", factory=EchoModel))
        register(mmzoo.ModelSpec(id="broken/echo", summary="repeats text", factory=EchoModel))


def test_plugin_tasks_get_tabs_after_the_core_and_a_broken_tab_stays_contained(register_plugin, ocr_image):
    register_plugin(TaskPlugin(), "echo-plugin")
    blocks = build_app()
    assert tab_ids(blocks) == ["retrieve", "caption", "vqa", "ocr", "tts", "text2image", "avmatch", "echo", "broken"]
    assert mmzoo.run("echo", "ab", times=3) == "ababab"
    with running_app() as url:
        client = Client(url, verbose=False, analytics_enabled=False)
        assert client.predict("echo/twice", "hey", api_name="/echo") == "heyhey"
        text, _, _ = client.predict(image=handle_file(str(ocr_image)), model="ocr/tesseract", api_name="/ocr")
        assert "quick brown fox" in text
