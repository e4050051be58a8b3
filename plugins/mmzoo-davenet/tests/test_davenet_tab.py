"""The avmatch tab on the shipped matcher: both endpoints through gradio_client, refusals, and the
heatmap with its time slider in headless Chromium."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
from PIL import Image

from mmzoo.testing import asset, open_tab

EXAMPLES = asset("avmatch")
CAPTION = EXAMPLES / "002706-a-small-square-colored-orange.wav"  # spoken in the held-out accent
SCENE = EXAMPLES / "scene-002706.png"


def test_a_spoken_caption_finds_its_scene_among_the_examples(app_url):
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False, analytics_enabled=False)
    ranked, note, heat, signal, time = client.predict(audio=handle_file(str(CAPTION)), images=None, k=3,
                                                      api_name="/avmatch")
    assert len(ranked) == 3 and ranked[0]["caption"].endswith(SCENE.name)
    scores = [float(r["caption"].split()[0]) for r in ranked]
    assert scores == sorted(scores, reverse=True) and note == ""
    overlay = np.asarray(Image.open(heat).convert("RGB"), dtype=np.float32)
    assert overlay.shape[0] == overlay.shape[1] >= 320  # the 128 px scene, enlarged
    red = overlay[..., 0] - overlay[..., 1:].mean(axis=2)
    assert red.max() > 60  # a heatmap is laid over the scene
    assert Image.open(signal).size[0] > 300  # waveform + spectrogram figure
    assert time["maximum"] == pytest.approx(soundfile.info(str(CAPTION)).duration, abs=0.01)


def test_an_image_finds_its_spoken_caption_playable(app_url):
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False, analytics_enabled=False)
    table, *players = client.predict(image=handle_file(str(SCENE)), audios=None, k=3, api_name="/avmatch_image")
    rows = table["data"]
    assert [r[0] for r in rows] == [1, 2, 3] and rows[0][1] == CAPTION.name
    assert players[0]["visible"] and Path(players[0]["value"]).suffix == ".wav"


def test_silence_and_non_speech_get_a_message_and_the_app_stays_up(app_url, tmp_path):
    from gradio_client import Client, handle_file

    silent, tone = tmp_path / "silent.wav", tmp_path / "tone.wav"
    soundfile.write(silent, np.zeros(16000, dtype=np.float32), 16000)
    soundfile.write(tone, (0.5 * np.sin(2 * np.pi * 440 * np.arange(32000) / 16000)).astype(np.float32), 16000)
    client = Client(app_url, verbose=False, analytics_enabled=False)
    with pytest.raises(Exception, match="silent"):
        client.predict(audio=handle_file(str(silent)), images=None, k=3, api_name="/avmatch")
    with pytest.raises(Exception, match="no speech found"):
        client.predict(audio=handle_file(str(tone)), images=None, k=3, api_name="/avmatch")
    ranked, *_ = client.predict(audio=handle_file(str(CAPTION)), images=None, k=1, api_name="/avmatch")
    assert len(ranked) == 1


@pytest.mark.browser
def test_the_heatmap_follows_the_time_slider_in_the_browser(app_url, chromium, artifacts):
    with open_tab(chromium, app_url, "Audio ↔ image", height=1300) as page:
        page.get_by_role("tab", name="Audio ↔ image").click()
        page.locator("#avmatch-audio input[type=file]").set_input_files(str(CAPTION))
        page.locator("#avmatch-run").click()
        heat = page.locator("#avmatch-heat img")
        heat.wait_for(state="visible", timeout=60_000)
        pooled = heat.get_attribute("src")
        assert page.locator("#avmatch-gallery img").count() >= 3
        page.get_by_label("Pool over the whole caption").uncheck()
        slider = page.locator("#avmatch-time input[type=number]")
        slider.fill("1.2")
        slider.press("Enter")
        page.wait_for_function("([el, old]) => el.src !== old", arg=[heat.element_handle(), pooled], timeout=30_000)
        page.screenshot(path=str(artifacts / "app-avmatch.png"), full_page=True)
