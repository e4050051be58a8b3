"""An example third-party mmzoo plugin in one file: a new task with its own tab, and a model.

Task ``palette``: image -> its dominant colours, each with its share of the pixels.
Model ``palette/median-cut``: Pillow's median-cut quantiser.

Install it with ``mmzoo install demos/mmzoo-palette``; it then shows up in ``mmzoo models``,
``mmzoo run palette IMAGE`` and as a "Palette" tab in ``mmzoo demo``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mmzoo
from mmzoo.media import load_image
from mmzoo.tasks import Input, Model, Task
from mmzoo.tasks.base import as_batch, call_with_options, unbatch


@dataclass
class Swatch:
    hex: str
    share: float  # fraction of the pixels, 0-1


class PaletteModel(Model):
    """Interface of the palette task."""

    def palette(self, images: list[Any], *, colours: int = 5) -> list[list[Swatch]]:
        raise NotImplementedError


class MedianCut(PaletteModel):
    def palette(self, images, *, colours: int = 5):
        if not 1 <= colours <= 64:
            raise mmzoo.InvalidInput(f"colours must be 1-64, got {colours}")
        results = []
        for image in images:
            small = image.convert("RGB")
            small.thumbnail((256, 256))
            quantised = small.quantize(colors=colours, method=0)  # 0 = median cut
            counts = sorted(quantised.getcolors(), reverse=True)
            flat = quantised.getpalette()
            total = sum(n for n, _ in counts)
            results.append([Swatch("#%02x%02x%02x" % tuple(flat[3 * i: 3 * i + 3]), n / total) for n, i in counts])
        return results


class PaletteTask(Task):
    id = "palette"
    title = "Palette"
    summary = "Find the dominant colours of an image."
    interface = PaletteModel
    method = "palette"
    inputs = (
        Input("image", "image", "image to analyse", positional=True),
        Input("colours", "int", "how many colours", required=False),
    )

    def run(self, model, image, **options):
        images, was_list = as_batch(image, load_image, "image")
        return unbatch(call_with_options(model.palette, images, **options), was_list)

    def to_text(self, result):
        return "\n".join(f"{s.hex}  {s.share:6.1%}" for s in result)

    def build_tab(self, ui):
        import gradio as gr

        model = ui.model_dropdown()
        image = gr.Image(type="filepath", label="Image")
        colours = gr.Slider(1, 16, value=5, step=1, label="Colours")
        swatches = gr.HTML(label="Palette")
        button = gr.Button("Find colours", variant="primary")

        def find(image, colours=5, model=None):  # named as mmzoo.run names them: the endpoint's parameters
            if not image:
                raise gr.Error("Upload an image first.")
            return "".join(
                f'<div style="display:inline-block;width:64px;height:64px;background:{s.hex}" '
                f'title="{s.hex} {s.share:.1%}"></div>' for s in ui.run(model, image, colours=int(colours)))

        button.click(find, [image, colours, model], [swatches], api_name="palette")


@mmzoo.hookimpl
def register_tasks(register):
    register(PaletteTask())


@mmzoo.hookimpl
def register_models(register):
    register(mmzoo.ModelSpec(id="palette/median-cut", summary="Pillow median-cut colour quantiser",
                             factory=MedianCut, default=True))
