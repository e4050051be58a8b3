"""The Caption and Visual QA tabs with the shipped models, in a real headless Chromium."""

from __future__ import annotations

import pytest

from mmzoo.testing import asset, choose_model, open_tab, running_app

pytestmark = pytest.mark.browser

EXAMPLE = asset("shapes-example.png")  # orange triangle, blue diamond, red circle


@pytest.fixture(scope="module")
def page(chromium):
    with running_app() as url, open_tab(chromium, url, "Caption", height=1000) as page:
        yield page


def test_caption_tab_shows_captions_and_per_word_attention(page, artifacts):
    page.get_by_role("tab", name="Caption").click()
    tab = page.locator("#tab-caption")
    choose_model(tab, "caption/shapes-sat")
    tab.locator("#caption-image input[type=file]").set_input_files(str(EXAMPLE))
    page.locator("#caption-button").click()
    text = page.locator("#caption-text textarea")
    page.wait_for_function("el => el.value.length > 0", arg=text.element_handle(), timeout=60_000)
    gallery = page.locator("#caption-attention")
    gallery.locator("img").first.wait_for(timeout=30_000)
    words = text.input_value().splitlines()[0].split()
    assert gallery.locator("img").count() == len(words)
    assert gallery.locator(".caption-label").first.inner_text().strip() == words[0]
    page.screenshot(path=str(artifacts / "caption-tab.png"), full_page=True)


def test_vqa_tab_answers_with_scores(page, artifacts):
    page.get_by_role("tab", name="Visual QA").click()
    tab = page.locator("#tab-vqa")
    choose_model(tab, "vqa/shapes-joint")
    tab.locator("#vqa-image input[type=file]").set_input_files(str(EXAMPLE))
    page.locator("#vqa-question textarea").fill("what color is the circle?")
    page.locator("#vqa-button").click()
    answers = page.locator("#vqa-answers")
    answers.get_by_text("%").first.wait_for(timeout=60_000)  # gr.Label shows each answer's confidence
    assert "red" in answers.inner_text()
    page.screenshot(path=str(artifacts / "vqa-tab.png"), full_page=True)
