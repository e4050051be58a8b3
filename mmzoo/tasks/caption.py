"""``caption``: image -> one or more sentences describing it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from ..media import load_image
from .base import Input, Model, Task, as_batch, call_with_options, unbatch

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image as PILImage

    from .tab import TabContext


@dataclass
class CaptionResult:
    captions: list[str]
    scores: list[float] | None = None  # e.g. sequence log-probabilities, best first
    attention: list[np.ndarray] | None = None  # per word of captions[0]: an (h, w) map over the image

    def to_dict(self) -> dict[str, Any]:
        return {"captions": self.captions, "scores": self.scores}


class CaptionModel(Model):
    """Interface of captioners.

    Common keyword options (a model takes those it supports): ``num_captions`` (how many, best
    first), ``beam_size`` (1 = greedy), ``max_length`` (in tokens), ``prompt`` (a prefix to continue).
    """

    def caption(self, images: list[PILImage.Image], *, num_captions: int = 1) -> list[CaptionResult]:
        raise NotImplementedError


def attention_overlays(image: PILImage.Image, words: Sequence[str], maps: Sequence[np.ndarray],
                       size: int = 224) -> list[tuple[PILImage.Image, str]]:
    """The "Show, attend and tell" figure: per word, the image lit where the model looked
    (its (h, w) attention map upsampled and scaled to its maximum)."""
    import numpy as np
    from PIL import Image

    base = np.asarray(image.convert("RGB").resize((size, size)), dtype=np.float32)
    frames = []
    for word, weights in zip(words, maps):
        heat = Image.fromarray(np.asarray(weights, dtype=np.float32)).resize((size, size), Image.Resampling.BILINEAR)
        heat = np.asarray(heat)[:, :, None] / max(float(np.max(heat)), 1e-12)
        lit = base * (0.2 + 0.8 * heat) + np.array([255.0, 60.0, 0.0]) * 0.25 * heat
        frames.append((Image.fromarray(np.clip(lit, 0, 255).astype(np.uint8)), word))
    return frames


class CaptionTask(Task):
    id = "caption"
    title = "Caption"
    summary = "Describe an image in a sentence."
    interface = CaptionModel
    method = "caption"
    inputs = (
        Input("image", "image", "image to describe", positional=True),
        Input("num_captions", "int", "how many captions", required=False, bounds=(1, 20)),
        Input("beam_size", "int", "beam width (1: greedy), for models that search", required=False, bounds=(1, 20)),
        Input("max_length", "int", "longest caption, in tokens", required=False, bounds=(1, 200)),
    )

    def run(self, model: CaptionModel, image: Any, **options: Any) -> CaptionResult | list[CaptionResult]:
        images, was_list = as_batch(image, load_image, "image")
        return unbatch(call_with_options(model.caption, images, **options), was_list)

    def to_text(self, result: Any) -> str:
        return "\n".join(c for r in (result if isinstance(result, list) else [result]) for c in r.captions)

    def build_tab(self, ui: TabContext) -> None:
        import gradio as gr

        with gr.Row():
            with gr.Column():
                model = ui.model_dropdown()
                image = gr.Image(type="filepath", label="Image", elem_id="caption-image")
                with gr.Row():
                    beam = gr.Slider(1, 8, value=5, step=1, label="Beam size", elem_id="caption-beam")
                    length = gr.Slider(4, 40, value=20, step=1, label="Max length", elem_id="caption-max-length")
                    count = gr.Slider(1, 5, value=1, step=1, label="Captions", elem_id="caption-count")
                button = gr.Button("Caption", variant="primary", elem_id="caption-button")
            with gr.Column():
                captions = gr.Textbox(label="Captions", lines=5, elem_id="caption-text")
                attention = gr.Gallery(label="Where the model looked for each word", columns=4, height="auto",
                                       elem_id="caption-attention", visible=False)

        def describe(image: str | None, num_captions: float = 1, beam_size: float = 5, max_length: float = 20,
                     model: str | None = None):
            if not image:
                raise gr.Error("Upload an image first.")
            picture = ui.image(image)
            result = ui.run(model, picture, num_captions=int(num_captions), beam_size=int(beam_size),
                            max_length=int(max_length))
            text = "\n".join(result.captions)
            if not result.attention or not result.captions:
                return text, gr.Gallery(value=None, visible=False)
            frames = attention_overlays(picture, result.captions[0].split(), result.attention)
            return text, gr.Gallery(value=frames, visible=True)

        button.click(describe, [image, count, beam, length, model], [captions, attention], api_name="caption")
        ui.examples([[ui.asset("shapes-example.png")]], [image])
