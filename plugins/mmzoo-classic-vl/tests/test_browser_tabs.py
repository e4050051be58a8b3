"""The Caption and Visual QA tabs with the shipped models, in a real headless Chromium."""

from __future__ import annotations

import contextlib
import shutil
import socket
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts"
EXAMPLE = Path(__file__).resolve().parents[3] / "mmzoo" / "assets" / "shapes-example.png"  # orange triangle,
# blue diamond, red circle


@pytest.fixture(scope="module")
def page():
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: run scripts/setup.sh --test")
    from playwright.sync_api import sync_playwright

    from mmzoo.app import launch

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    blocks = launch(port=port, block=False, quiet=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_role("tab", name="Caption").wait_for()
            yield page
            browser.close()
    finally:
        with contextlib.suppress(Exception):
            blocks.close()


def choose(tab, model_id: str) -> None:
    tab.locator(".mmzoo-model input").first.fill(model_id)
    tab.locator(".mmzoo-model input").first.press("Enter")


def test_caption_tab_shows_captions_and_per_word_attention(page):
    page.get_by_role("tab", name="Caption").click()
    tab = page.locator("#tab-caption")
    choose(tab, "caption/shapes-sat")
    tab.locator("#caption-image input[type=file]").set_input_files(str(EXAMPLE))
    page.locator("#caption-button").click()
    text = page.locator("#caption-text textarea")
    page.wait_for_function("el => el.value.length > 0", arg=text.element_handle(), timeout=60_000)
    gallery = page.locator("#caption-attention")
    gallery.locator("img").first.wait_for(timeout=30_000)
    words = text.input_value().splitlines()[0].split()
    assert gallery.locator("img").count() == len(words)
    assert gallery.locator(".caption-label").first.inner_text().strip() == words[0]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "caption-tab.png"), full_page=True)


def test_vqa_tab_answers_with_scores(page):
    page.get_by_role("tab", name="Visual QA").click()
    tab = page.locator("#tab-vqa")
    choose(tab, "vqa/shapes-joint")
    tab.locator("#vqa-image input[type=file]").set_input_files(str(EXAMPLE))
    page.locator("#vqa-question textarea").fill("what color is the circle?")
    page.locator("#vqa-button").click()
    answers = page.locator("#vqa-answers")
    answers.get_by_text("%").first.wait_for(timeout=60_000)  # gr.Label shows each answer's confidence
    assert "red" in answers.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "vqa-tab.png"), full_page=True)
