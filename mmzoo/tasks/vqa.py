"""``vqa``: image + question -> answer(s) with scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput
from ..media import check_text, load_image
from .base import Input, Model, Task, as_batch, call_with_options, unbatch

if TYPE_CHECKING:
    from PIL import Image as PILImage

    from .tab import TabContext


EXAMPLE_QUESTIONS = ("what color is the circle?", "how many shapes are there?", "is there a red square?",
                     "what shape is the blue object?")


@dataclass
class Answer:
    text: str
    score: float


@dataclass
class VQAResult:
    question: str
    answers: list[Answer] = field(default_factory=list)  # best first

    @property
    def answer(self) -> str:
        return self.answers[0].text if self.answers else ""

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "answer": self.answer, "answers": [a.__dict__ for a in self.answers]}


class VQAModel(Model):
    """Interface of visual question answering models: one question per image."""

    def answer(self, images: list[PILImage.Image], questions: list[str], *, top_k: int = 1) -> list[VQAResult]:
        raise NotImplementedError


class VQATask(Task):
    id = "vqa"
    title = "Visual QA"
    summary = "Answer a question about an image."
    interface = VQAModel
    method = "answer"
    inputs = (
        Input("image", "image", "image to ask about", positional=True),
        Input("question", "text", "the question", positional=True),
        Input("top_k", "int", "how many answers", required=False, bounds=(1, 100)),
    )

    def run(self, model: VQAModel, image: Any, question: Any, **options: Any) -> VQAResult | list[VQAResult]:
        images, images_listed = as_batch(image, load_image, "image")
        questions, questions_listed = as_batch(question, check_text, "question")
        if len(images) == 1 and len(questions) > 1:  # several questions about one image
            images = images * len(questions)
        if len(images) != len(questions):
            raise InvalidInput(f"got {len(images)} images but {len(questions)} questions")
        results = call_with_options(model.answer, images, questions, **options)
        return unbatch(results, images_listed or questions_listed)

    def to_text(self, result: Any) -> str:
        return "\n".join(r.answer for r in (result if isinstance(result, list) else [result]))

    def build_tab(self, ui: TabContext) -> None:
        import gradio as gr

        with gr.Row():
            with gr.Column():
                model = ui.model_dropdown()
                image = gr.Image(type="filepath", label="Image", elem_id="vqa-image")
                question = gr.Textbox(label="Question", placeholder="what color is the circle?", elem_id="vqa-question")
                top_k = gr.Slider(1, 10, value=5, step=1, label="Answers", elem_id="vqa-top-k")
                button = gr.Button("Answer", variant="primary", elem_id="vqa-button")
            with gr.Column():
                answers = gr.Label(label="Answers", num_top_classes=10, elem_id="vqa-answers")

        def ask(image: str | None, question: str, top_k: float = 5, model: str | None = None):
            if not image:
                raise gr.Error("Upload an image first.")
            if not (question or "").strip():
                raise gr.Error("Type a question first.")
            result = ui.run(model, image, question, top_k=int(top_k))
            return {a.text: a.score for a in result.answers}

        button.click(ask, [image, question, top_k, model], [answers], api_name="vqa")
        ui.examples([[ui.asset("shapes-example.png"), q] for q in EXAMPLE_QUESTIONS], [image, question])
