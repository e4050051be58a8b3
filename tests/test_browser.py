"""What a person sees: the app in a real headless Chromium (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import pytest

from mmzoo.testing import choose_model, open_tab, running_app

pytestmark = pytest.mark.browser


@pytest.fixture
def page(chromium, app_url):
    with open_tab(chromium, app_url, "OCR") as page:
        yield page


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


@pytest.fixture
def retrieve_page(chromium, register_plugin):
    from mmzoo.testing.doubles import DoublesPlugin

    register_plugin(DoublesPlugin(), "doubles")  # before the app is built, so the Retrieve tab exists
    with running_app() as url, open_tab(chromium, url, "Retrieve", height=1000) as page:
        yield page


def test_retrieve_tab_searches_uploaded_images_and_labels_zero_shot(retrieve_page, tmp_path, artifacts):
    from mmzoo.testing.doubles import colour_image

    page = retrieve_page
    paths = []
    for colour in ("red", "green", "blue"):
        paths.append(tmp_path / f"{colour}.png")
        colour_image(colour, size=96).save(paths[-1])
    page.get_by_role("tab", name="Retrieve").click()
    tab = page.locator("#tab-retrieve")
    choose_model(tab, "retrieve/colour")  # the test double, not a real default
    tab.locator("#retrieve-gallery input[type=file]").set_input_files([str(p) for p in paths])
    page.locator("#retrieve-text textarea").fill("something green")
    page.locator("#retrieve-search").click()
    results = page.locator("#retrieve-results")
    results.locator("img").nth(2).wait_for(timeout=30_000)
    assert results.locator("img").count() == 3
    captions = results.locator(".caption-label")
    assert "green.png" in captions.first.inner_text()
    page.screenshot(path=str(artifacts / "retrieve-tab.png"), full_page=True)

    import mmzoo
    from mmzoo.index import GalleryIndex

    GalleryIndex.build(tmp_path, mmzoo.load("retrieve/colour"))
    page.locator("#retrieve-source").get_by_text("Index folder").click()
    page.locator("#retrieve-index textarea").fill(str(tmp_path))
    page.locator("#retrieve-index textarea").press("Enter")
    page.locator("#retrieve-index-info").get_by_text("3 images").wait_for(timeout=30_000)
    page.locator("#retrieve-text textarea").fill("blue")
    page.locator("#retrieve-search-index").click()
    found = page.locator("#retrieve-index-results")
    found.locator("img").nth(2).wait_for(timeout=30_000)
    assert "blue.png" in found.locator(".caption-label").first.inner_text()

    page.locator("#retrieve-source").get_by_text("Zero-shot labels").click()
    page.locator("#retrieve-text textarea").fill("")
    page.locator("#retrieve-image input[type=file]").set_input_files(str(paths[2]))
    page.locator("#retrieve-labels textarea").fill("red, green, blue")
    page.locator("#retrieve-classify").click()
    page.locator("#retrieve-zero-shot").get_by_text("blue").first.wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts / "retrieve-zero-shot.png"), full_page=True)


@pytest.fixture
def text2image_page(chromium, app_url):
    with open_tab(chromium, app_url, "Text to image", height=1100) as page:
        page.get_by_role("tab", name="Text to image").click()
        yield page


def test_text2image_generates_then_inpaints_a_painted_region(text2image_page, artifacts):
    page = text2image_page
    page.locator("#text2image-prompt textarea").fill("a large red circle")
    page.locator("#text2image-button").click()
    gallery = page.locator("#text2image-gallery")
    gallery.locator("img").first.wait_for(timeout=60_000)
    page.locator("#text2image-details").get_by_text('"generate"').first.wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts / "text2image-generate.png"), full_page=True)

    gallery.locator("img").first.click()
    page.locator("#text2image-to-inpaint").click()
    canvas = page.locator("#text2image-image canvas").first
    canvas.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)  # the background is drawn into the canvas
    box = canvas.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x - 40, y)
    page.mouse.down()
    for dx in range(-40, 41, 8):
        page.mouse.move(x + dx, y + dx / 4)
    page.mouse.up()
    page.locator("#text2image-prompt textarea").fill("a large blue square")
    page.get_by_role("button", name="Inpaint", exact=True).click()  # the run button, relabelled
    page.locator("#text2image-details").get_by_text('"inpaint"').first.wait_for(timeout=60_000)
    page.screenshot(path=str(artifacts / "text2image-inpaint.png"), full_page=True)


def test_text2image_shows_step_progress_and_stop_ends_the_run(text2image_page, artifacts):
    page = text2image_page
    page.locator("#text2image-prompt textarea").fill("a small green cross")
    page.get_by_text("Settings (0 = the model's default)").click()
    page.locator("#text2image-steps input").fill("200")
    page.locator("#text2image-button").click()
    page.get_by_text("denoising").first.wait_for(timeout=30_000)  # the progress bar, per step
    page.screenshot(path=str(artifacts / "text2image-progress.png"))
    page.locator("#text2image-stop").click()
    page.get_by_text("stopped after").first.wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts / "text2image-stopped.png"))
    page.locator("#text2image-steps input").fill("3")
    page.locator("#text2image-button").click()  # the tab still works
    details = page.locator("#text2image-details")
    details.get_by_text('"steps": 3').first.wait_for(timeout=30_000)
    assert details.get_by_text('"guidance_scale": 4').count() == 1  # the untouched field: the model's default
    assert details.get_by_text('"seed": 0,').count() == 0  # -1: a random seed
