"""``text2image``: prompt -> image; image + prompt -> edited image; image + mask + prompt -> inpainted."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import InvalidInput
from ..media import check_text, load_image
from .base import Input, Model, Task, as_batch, call_with_options, output_paths, unbatch

if TYPE_CHECKING:
    from PIL import Image as PILImage

    from .tab import TabContext

MODES = ("generate", "edit", "inpaint")


@dataclass
class GeneratedImage:
    image: PILImage.Image
    prompt: str
    mode: str = "generate"
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "mode": self.mode, "seed": self.seed, "size": list(self.image.size)}


class TextToImageModel(Model):
    """Interface of image generators. ``modes`` says which of generate/edit/inpaint it does.

    ``images`` and ``masks`` are None or aligned with ``prompts``; a mask is mode "L", white = repaint.
    """

    modes: ClassVar[tuple[str, ...]] = ("generate",)

    def generate(self, prompts: list[str], *, images: list[PILImage.Image] | None = None,
                 masks: list[PILImage.Image] | None = None, seed: int | None = None) -> list[GeneratedImage]:
        raise NotImplementedError


class TextToImageTask(Task):
    id = "text2image"
    title = "Text to image"
    summary = "Generate an image from a prompt; edit or inpaint one."
    interface = TextToImageModel
    method = "generate"
    output_suffix = ".png"
    inputs = (
        Input("prompt", "text", "what to draw", positional=True),
        Input("image", "image", "image to edit (edit/inpaint)", required=False),
        Input("mask", "image", "mask of the region to repaint, white = repaint (inpaint)", required=False),
        Input("seed", "int", "random seed", required=False),
    )

    def run(self, model: TextToImageModel, prompt: Any, *, image: Any = None, mask: Any = None,
            **options: Any) -> GeneratedImage | list[GeneratedImage]:
        prompts, was_list = as_batch(prompt, check_text, "prompt")
        mode = "inpaint" if mask is not None else "edit" if image is not None else "generate"
        if mask is not None and image is None:
            raise InvalidInput("a mask needs the image it applies to (image=...)")
        if mode not in model.modes:
            raise InvalidInput(f"{model.spec.id if model.spec else model} cannot {mode}; it can: {', '.join(model.modes)}")
        if image is not None:
            init = load_image(image)
            options["images"] = [init] * len(prompts)
            if mask is not None:
                mask_image = load_image(mask, mode="L")
                if mask_image.size != init.size:
                    raise InvalidInput(f"mask is {mask_image.size[0]}x{mask_image.size[1]} but the image is "
                                       f"{init.size[0]}x{init.size[1]}")
                options["masks"] = [mask_image] * len(prompts)
        return unbatch(call_with_options(model.generate, prompts, **options), was_list)

    def save(self, result: Any, path: Path) -> list[Path]:
        if path.suffix == ".json":
            return super().save(result, path)
        results = result if isinstance(result, list) else [result]
        paths = output_paths(path, len(results))
        for r, p in zip(results, paths):
            r.image.save(p)
        return paths

    def build_tab(self, ui: TabContext) -> None:
        import gradio as gr

        with gr.Row():
            with gr.Column():
                model = ui.model_dropdown()
                prompt = gr.Textbox(label="Prompt", placeholder="a red circle above a blue square")
                with gr.Accordion("Edit or inpaint an image", open=False):
                    editor = gr.ImageEditor(label="Image (paint the region to repaint)", type="pil")
                seed = gr.Number(label="Seed", value=0, precision=0)
                button = gr.Button("Generate", variant="primary")
            with gr.Column():
                output = gr.Image(label="Result", type="pil", format="png")

        def draw(prompt: str, image: dict | None = None, seed: float = 0, model: str | None = None):
            """``image``: the editor's value; its background is the image to edit, its painted layer the mask."""
            picture = mask = None
            if image and image.get("background") is not None:
                picture = image["background"].convert("RGB")
                layers = [layer for layer in image.get("layers") or [] if layer is not None]
                if layers:  # anything painted becomes the inpainting mask
                    alpha = layers[0].getchannel("A")
                    mask = alpha.point(lambda a: 255 if a else 0) if alpha.getbbox() else None
            result = ui.run(model, prompt, image=picture, mask=mask, seed=int(seed))
            return result.image

        button.click(draw, [prompt, editor, seed, model], [output], api_name="text2image")
