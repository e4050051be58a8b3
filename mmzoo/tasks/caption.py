"""``caption``: image -> one or more sentences describing it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..media import load_image
from .base import Input, Model, Task, as_batch, call_with_options, unbatch

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image as PILImage

    from ..app import TabContext


@dataclass
class CaptionResult:
    captions: list[str]
    scores: list[float] | None = None  # e.g. sequence log-probabilities, best first
    attention: list[np.ndarray] | None = None  # per word of captions[0]: an (h, w) map over the image

    def to_dict(self) -> dict[str, Any]:
        return {"captions": self.captions, "scores": self.scores}


class CaptionModel(Model):
    """Interface of captioners."""

    def caption(self, images: list[PILImage.Image], *, num_captions: int = 1) -> list[CaptionResult]:
        raise NotImplementedError


class CaptionTask(Task):
    id = "caption"
    title = "Caption"
    summary = "Describe an image in a sentence."
    interface = CaptionModel
    method = "caption"
    inputs = (
        Input("image", "image", "image to describe", positional=True),
        Input("num_captions", "int", "how many captions", required=False),
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
                image = gr.Image(type="filepath", label="Image")
                count = gr.Slider(1, 5, value=1, step=1, label="Captions")
                button = gr.Button("Caption", variant="primary")
            with gr.Column():
                captions = gr.Textbox(label="Captions", lines=5)

        def describe(model_id: str, path: str | None, how_many: float):
            if not path:
                raise gr.Error("Upload an image first.")
            result = ui.run(model_id, path, num_captions=int(how_many))
            return "\n".join(result.captions)

        button.click(describe, [model, image, count], [captions], api_name="caption")
