"""What a person sees: the app in a real headless Chromium (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import shutil

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: run scripts/setup.sh --test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app_url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(app_url)
    page.get_by_role("tab", name="OCR").wait_for()
    yield page
    page.close()


def test_ocr_tab_reads_an_uploaded_image(page, ocr_image, artifacts):
    page.get_by_role("tab", name="OCR").click()
    tab = page.locator("#tab-ocr")
    tab.locator("input[type=file]").first.set_input_files(str(ocr_image))
    tab.get_by_role("button", name="Read text").click()
    text = page.locator("#ocr-text textarea")
    page.wait_for_function("el => el.value.includes('quick brown fox')", arg=text.element_handle(), timeout=30_000)
    assert "Tesseract OCR" in text.input_value()
    page.screenshot(path=str(artifacts / "app-ocr.png"), full_page=True)


def test_an_error_shows_in_the_page_and_the_app_stays_up(page, artifacts):
    page.get_by_role("tab", name="Text to speech").click()
    tab = page.locator("#tab-tts")
    tab.get_by_role("button", name="Speak").click()  # no text typed
    page.get_by_text("text is empty").first.wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts / "app-tts-error.png"))
    page.locator("#tts-text textarea").fill("hello from the browser")
    tab.get_by_role("button", name="Speak").click()
    link = page.locator("#tts-audio a[href$='.wav']")
    link.wait_for(state="attached", timeout=30_000)
    wav = page.request.get(link.get_attribute("href")).body()
    assert wav[:4] == b"RIFF" and len(wav) > 20_000  # over half a second of 16-bit speech at 22 kHz
    page.screenshot(path=str(artifacts / "app-tts.png"))
