"""``ocr``: image -> text, with every word's box and confidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..media import load_image
from .base import Input, Model, Task, as_batch, call_with_options, unbatch

if TYPE_CHECKING:
    from PIL import Image as PILImage

    from .tab import TabContext


@dataclass
class Word:
    """One recognised word: ``box`` is (left, top, width, height) in pixels, ``confidence`` 0-100."""

    text: str
    box: tuple[int, int, int, int]
    confidence: float
    line: int = 0  # running index of the text line the word belongs to


@dataclass
class OCRResult:
    text: str
    words: list[Word] = field(default_factory=list)
    language: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "language": self.language,
            "words": [
                {"text": w.text, "box": list(w.box), "confidence": w.confidence, "line": w.line}
                for w in self.words
            ],
        }


class OCRModel(Model):
    """Interface of OCR models."""

    def recognize(self, images: list[PILImage.Image], *, lang: str | None = None) -> list[OCRResult]:
        """Read each image. ``lang`` names languages as the engine does (e.g. ``eng+deu``)."""
        raise NotImplementedError

    def languages(self) -> list[str]:
        """Languages this engine can read here (empty when unknown)."""
        return []


def draw_words(image: PILImage.Image, result: OCRResult) -> PILImage.Image:
    """A copy of ``image`` with a box around each recognised word."""
    from PIL import ImageDraw

    out = image.convert("RGB")
    draw = ImageDraw.Draw(out)
    width = max(1, round(min(out.size) / 300))
    for word in result.words:
        left, top, w, h = word.box
        colour = (22, 163, 74) if word.confidence >= 60 else (220, 38, 38)
        draw.rectangle((left, top, left + w, top + h), outline=colour, width=width)
    return out


class OCRTask(Task):
    id = "ocr"
    title = "OCR"
    summary = "Read the text in an image, with word boxes and confidences."
    interface = OCRModel
    method = "recognize"
    output_suffix = ".txt"
    inputs = (
        Input("image", "image", "image file to read", positional=True),
        Input("lang", "text", "language(s), e.g. eng or eng+deu", required=False),
    )

    def run(self, model: OCRModel, image: Any, **options: Any) -> OCRResult | list[OCRResult]:
        images, was_list = as_batch(image, load_image, "image")
        return unbatch(call_with_options(model.recognize, images, **options), was_list)

    def to_text(self, result: Any) -> str:
        return "\f".join(r.text for r in (result if isinstance(result, list) else [result])).rstrip("\n")

    def save(self, result: Any, path: Path) -> list[Path]:
        if path.suffix == ".json":
            return super().save(result, path)
        results = result if isinstance(result, list) else [result]
        path.write_text("\f".join(r.text for r in results))
        return [path]

    def build_tab(self, ui: TabContext) -> None:
        import gradio as gr

        with gr.Row():
            with gr.Column():
                model = ui.model_dropdown()
                image = gr.Image(type="filepath", label="Image", sources=["upload", "clipboard"], elem_id="ocr-image")
                lang = gr.Dropdown(label="Language(s)", value="eng", choices=["eng"], allow_custom_value=True,
                                   info="one or more installed languages, joined by '+': eng+deu")
                with gr.Accordion("Engine settings", open=False):
                    psm = gr.Dropdown(label="Page segmentation mode (--psm)", value=3, choices=list(range(14)))
                    oem = gr.Dropdown(label="Engine mode (--oem)", value=3, choices=[0, 1, 2, 3])
                button = gr.Button("Read text", variant="primary")
            with gr.Column():
                text = gr.Textbox(label="Text", lines=10, buttons=["copy"], elem_id="ocr-text")
                boxes = gr.Image(label="Words found", type="pil", format="png")
                words = gr.Dataframe(headers=["word", "confidence", "left", "top", "width", "height"],
                                     label="Words", interactive=False)

        def read(image: str | None, lang: str = "eng", psm: int = 3, oem: int = 3, model: str | None = None):
            if not image:
                raise gr.Error("Upload an image first.")
            picture = ui.image(image)
            result = ui.run(model, picture, lang=lang or None, psm=int(psm), oem=int(oem))
            rows = [[w.text, round(w.confidence, 1), *w.box] for w in result.words]
            return result.text, draw_words(picture, result), rows

        def languages(model_id: str):
            found = ui.load(model_id).languages()
            return gr.Dropdown(choices=found or ["eng"])

        button.click(read, [image, lang, psm, oem, model], [text, boxes, words], api_name="ocr")
        ui.on_model_change(model, languages, lang)
        ui.examples([[ui.asset("ocr-example.png")]], [image])
