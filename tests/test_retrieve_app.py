"""The Retrieve tab's endpoints, driven through gradio_client (test doubles)."""

from __future__ import annotations

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

import mmzoo
from mmzoo.index import GalleryIndex
from mmzoo.testing import running_app
from mmzoo.testing.doubles import ColourRetrieval, DoublesPlugin, colour_image

COLOUR = "retrieve/colour"


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for colour in ("red", "green", "blue"):
        colour_image(colour).save(folder / f"{colour}.png")
    return folder


@pytest.fixture
def client(register_plugin):
    register_plugin(DoublesPlugin(), "doubles")
    with running_app() as url:
        yield Client(url, verbose=False, analytics_enabled=False)


def caption_score(caption: str) -> float:
    return float(caption.split()[0])


def test_every_retrieve_endpoint(client, photos):
    gallery = [handle_file(str(photos / f"{c}.png")) for c in ("red", "green", "blue")]
    hits = client.predict(text="something green", images=gallery, k=2, model=COLOUR, api_name="/retrieve")
    assert len(hits) == 2 and hits[0]["image"].endswith("green.png") and "green.png" in hits[0]["caption"]
    by_image = client.predict(image=handle_file(str(photos / "blue.png")), images=gallery, k=1, model=COLOUR,
                              api_name="/retrieve")
    assert by_image[0]["image"].endswith("blue.png") and caption_score(by_image[0]["caption"]) == pytest.approx(1.0)

    GalleryIndex.build(photos, mmzoo.load(COLOUR))
    indexed = client.predict(text="red", index=str(photos / ".mmzoo-index"), k=3, model=COLOUR,
                             api_name="/retrieve_index")
    assert [h["caption"].split(" · ")[1] for h in indexed][0] == "red.png" and len(indexed) == 3
    assert caption_score(indexed[0]["caption"]) > caption_score(indexed[1]["caption"])

    table = client.predict(image=handle_file(str(photos / "green.png")), texts="a red car\na green tree\n\nblue sky",
                           k=2, model=COLOUR, api_name="/retrieve_texts")
    assert table["headers"] == ["rank", "score", "caption"] and table["data"][0][::2] == [1, "a green tree"]

    label = client.predict(image=handle_file(str(photos / "blue.png")), labels="red, green, blue", model=COLOUR,
                           api_name="/zero_shot")
    assert label["label"] == "blue"
    assert sum(c["confidence"] for c in label["confidences"]) == pytest.approx(1.0, abs=1e-4)


def test_errors_show_as_messages_and_the_app_keeps_serving(client, photos, tmp_path):
    gallery = [handle_file(str(photos / "red.png"))]
    with pytest.raises(AppError, match="Type a text query or give a query image"):
        client.predict(images=gallery, model=COLOUR, api_name="/retrieve")
    with pytest.raises(AppError, match="not both"):
        client.predict(text="red", image=handle_file(str(photos / "red.png")), images=gallery, model=COLOUR,
                       api_name="/retrieve")
    with pytest.raises(AppError, match="Upload some gallery images"):
        client.predict(text="red", model=COLOUR, api_name="/retrieve")
    with pytest.raises(AppError, match="no gallery index"):
        client.predict(text="red", index=str(tmp_path), model=COLOUR, api_name="/retrieve_index")
    GalleryIndex.build(photos, ColourRetrieval())  # built with another model (an unregistered class)
    with pytest.raises(AppError, match="was built with model mmzoo.testing.doubles.ColourRetrieval"):
        client.predict(text="red", index=str(photos), model=COLOUR, api_name="/retrieve_index")
    with pytest.raises(AppError, match="more than once"):
        client.predict(image=handle_file(str(photos / "red.png")), labels="red, red", model=COLOUR, api_name="/zero_shot")
    with pytest.raises(AppError, match="Give the image to label"):
        client.predict(labels="red, green", model=COLOUR, api_name="/zero_shot")
    hits = client.predict(text="red", images=gallery, k=1, model=COLOUR, api_name="/retrieve")
    assert hits[0]["image"].endswith("red.png")
