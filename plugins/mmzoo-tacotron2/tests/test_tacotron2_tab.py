"""The TTS tab with a Tacotron2 (a tiny random one): audio, the mel spectrogram with its axes and
the attention alignment, through gradio_client and in headless Chromium."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
from PIL import Image

import mmzoo
from mmzoo.testing import choose_model, open_tab, running_app
from mmzoo_tacotron2.testing import TinyTacotron2Plugin, tiny_tacotron2


@pytest.fixture
def tiny_app(register_plugin):
    register_plugin(TinyTacotron2Plugin(), "tiny-tacotron2")
    with running_app() as url:
        yield url


def test_the_endpoint_returns_speech_a_labelled_mel_and_the_alignment(tiny_app):
    from gradio_client import Client

    client = Client(tiny_app, verbose=False, analytics_enabled=False)
    audio, speed, mel, alignment = client.predict(text="Hello there.", model="tts/tiny-tacotron2", speed=1.0,
                                                  api_name="/tts")
    waveform, rate = soundfile.read(audio)
    assert rate == 22_050 and len(waveform) == (24 - 1) * 256  # 24 decoder steps of one frame
    assert "x real time" in speed and alignment["visible"]
    plot = np.asarray(Image.open(alignment["value"]).convert("L"))
    assert plot.shape[1] > 300 and plot.std() > 20  # a figure with axes, not an empty frame
    assert Image.open(mel).size == Image.open(alignment["value"]).size


@pytest.mark.browser
def test_the_alignment_plot_shows_in_the_browser(tiny_app, chromium, artifacts):
    from playwright.sync_api import expect

    with open_tab(chromium, tiny_app, "Text to speech", height=1100) as page:
        page.get_by_role("tab", name="Text to speech").click()
        tab = page.locator("#tab-tts")
        choose_model(tab, "tts/tiny-tacotron2")
        # the model change loads the model and sets its own voice; Speak before that sends the old voice
        expect(tab.get_by_role("combobox", name="Voice")).to_have_value("ljspeech", timeout=60_000)
        page.locator("#tts-text textarea").fill("Hello there.")
        tab.get_by_role("button", name="Speak").click()
        image = page.locator("#tts-alignment img")
        image.wait_for(state="visible", timeout=60_000)
        assert page.locator("#tts-mel img").is_visible()
        assert image.evaluate("img => img.naturalWidth") > 300
        page.screenshot(path=str(artifacts / "app-tts-tacotron2.png"), full_page=True)


class NeverStops:
    @mmzoo.hookimpl
    def register_models(self, register):
        register(mmzoo.ModelSpec(id="tts/never-stops", summary="test double: a decoder that never stops",
                                 factory=lambda: tiny_tacotron2(steps=10_000)))


def test_eval_counts_a_sentence_the_decoder_never_ends_as_unheard(register_plugin):
    from mmzoo.evaluate import evaluate

    register_plugin(NeverStops(), "never-stops")
    report = evaluate("tts", model="tts/never-stops", limit=2, progress=False)
    assert report.metrics["failed"] == 2 and report.metrics["WER"] == 1.0
    assert any("no speech for" in note and "limit of 60 steps" in note for note in report.notes)
