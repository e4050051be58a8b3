"""``retrieve``: rank a gallery of images or texts against a text or image query."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from ..media import check_text, load_image
from .base import Input, Model, Task, check_query_and_gallery, source_label

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image as PILImage

    from ..app import TabContext


@dataclass
class Hit:
    index: int  # position in the gallery
    score: float  # cosine similarity
    item: str | None = None  # the gallery text, or the image's path when known


@dataclass
class RetrievalResult:
    query: str
    hits: list[Hit] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "hits": [h.__dict__ for h in self.hits]}


class RetrievalModel(Model):
    """Interface of dual encoders: texts and images into one L2-normalised space."""

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """(N, D) float32, rows of unit length."""
        raise NotImplementedError

    def embed_images(self, images: list[PILImage.Image]) -> np.ndarray:
        """(N, D) float32, rows of unit length."""
        raise NotImplementedError


def rank(query: np.ndarray, gallery: np.ndarray, k: int, items: Sequence[str | None]) -> list[Hit]:
    """The ``k`` gallery rows most similar to ``query`` (dot product), best first."""
    import numpy as np

    scores = gallery @ query
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [Hit(int(i), float(scores[i]), items[i]) for i in top]


class RetrieveTask(Task):
    id = "retrieve"
    title = "Retrieve"
    summary = "Search images by text, or texts by image, in one embedding space."
    interface = RetrievalModel
    inputs = (
        Input("text", "text", "text query", required=False),
        Input("image", "image", "image query", required=False),
        Input("images", "images", "gallery of images to search", required=False, multiple=True),
        Input("texts", "texts", "gallery of texts to search", required=False, multiple=True),
        Input("k", "int", "how many results", required=False, default=5),
    )

    def run(self, model: RetrievalModel, *, text: str | None = None, image: Any = None,
            images: Sequence[Any] | None = None, texts: Sequence[str] | None = None, k: int = 5) -> RetrievalResult:
        check_query_and_gallery({"text": text, "image": image}, {"images": images, "texts": texts}, k)
        if text is not None:
            query_text = check_text(text, "query")
            query, label = model.embed_texts([query_text])[0], query_text
        else:
            query, label = model.embed_images([load_image(image)])[0], source_label(image) or "image"
        if images is not None:
            gallery = model.embed_images([load_image(x) for x in images])
            items = [source_label(x) for x in images]
        else:
            items = [check_text(t, "gallery text") for t in texts]
            gallery = model.embed_texts(items)
        return RetrievalResult(label, rank(query, gallery, k, items))

    def build_tab(self, ui: TabContext) -> None:
        import gradio as gr

        with gr.Row():
            with gr.Column():
                model = ui.model_dropdown()
                query = gr.Textbox(label="Text query", placeholder="a photo of a cat")
                gallery_in = gr.File(label="Gallery images", file_count="multiple", file_types=["image"])
                k = gr.Slider(1, 50, value=5, step=1, label="Top k")
                button = gr.Button("Search", variant="primary")
            with gr.Column():
                gallery_out = gr.Gallery(label="Best matches", columns=3)

        def search(model_id: str, text: str, files: list[str] | None, top: float):
            if not files:
                raise gr.Error("Upload some gallery images first.")
            result = ui.run(model_id, text=text, images=list(files), k=int(top))
            return [(hit.item, f"{hit.score:.3f}") for hit in result.hits]

        button.click(search, [model, query, gallery_in, k], [gallery_out], api_name="retrieve")
