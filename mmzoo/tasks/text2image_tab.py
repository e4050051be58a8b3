"""The Text to image tab: generate, edit or inpaint, with progress, Stop, re-ranking and send-to-edit.

Its endpoint ``/text2image`` takes the Python API's names: ``prompt``, ``image`` (the editor's
value: its background is the image, its painted layer the inpainting mask), ``mask`` (an uploaded
mask, white = repaint, instead of painting one), ``seed`` (-1 or blank = random, as in the web
UIs), ``num_images``, ``negative_prompt``, ``steps``, ``guidance_scale``, ``strength``,
``scheduler``, ``rerank_with`` and ``model``. ``steps``, ``guidance_scale`` and ``strength`` left
at 0 or blank mean the model's own default (a browser shows a blank number field as 0). The mode follows from the inputs, as in
``mmzoo.run``: an image edits it, an image and a mask (painted or uploaded) inpaint it; the Mode
radio shows the inputs of each and clears them when going back to generate. Every image is served
as a PNG carrying its generation parameters.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr  # this module is imported only when the app builds the tab

if TYPE_CHECKING:
    from .tab import TabContext

MODES = ("generate", "edit", "inpaint")
DEFAULT_SCHEDULER = "default"
RANDOM_SEED = -1
EXAMPLES = ["a red circle", "a large blue square", "a small yellow star and a large green circle"]


def editor_parts(value: dict | None) -> tuple[Any, Any]:
    """(image, mask) from an ``ImageEditor`` value: the background, and what was painted as a white-on-black
    mask (None when nothing was painted)."""
    if not value or value.get("background") is None:
        return None, None
    image = value["background"].convert("RGB")
    mask = None
    for layer in value.get("layers") or []:
        if layer is None:
            continue
        alpha = layer.convert("RGBA").getchannel("A").point(lambda a: 255 if a else 0)
        if alpha.getbbox():
            mask = alpha if mask is None else _lighter(mask, alpha)
    return image, mask


def _lighter(a: Any, b: Any) -> Any:
    from PIL import ImageChops

    return ImageChops.lighter(a, b)


def _schedulers(spec: Any) -> list[str]:
    """The scheduler names a model's class lists (without loading it); [] when its code is missing."""
    try:
        names = getattr(spec.resolve_factory(), "schedulers", ()) or ()
    except ImportError:
        return []
    return [n for n in names if n != DEFAULT_SCHEDULER]


def build_tab(ui: TabContext) -> None:
    stops: dict[str, threading.Event] = {}  # one per browser session: its Stop button sets it
    out_dir = Path(tempfile.mkdtemp(prefix="mmzoo-text2image-"))

    with gr.Row():
        with gr.Column():
            model = ui.model_dropdown()
            mode = gr.Radio(list(MODES), value="generate", label="Mode", elem_id="text2image-mode")
            prompt = gr.Textbox("", label="Prompt", placeholder="a red circle", elem_id="text2image-prompt")
            negative = gr.Textbox("", label="Negative prompt", placeholder="what not to draw (optional)",
                                  elem_id="text2image-negative")
            editor = gr.ImageEditor(label="Image (inpaint: paint the region to repaint)", type="pil", visible=False,
                                    brush=gr.Brush(colors=["#ffffff"], default_size=12, color_mode="fixed"),
                                    elem_id="text2image-image")
            mask = gr.Image(label="Or upload a mask (white = repaint)", type="pil", image_mode="L", visible=False,
                            elem_id="text2image-mask")
            with gr.Row():
                num_images = gr.Slider(1, 16, value=1, step=1, label="Images", elem_id="text2image-count")
                rerank = gr.Dropdown([("no re-ranking", "")] + [(m, m) for m in ui.models_of("retrieve")], value="",
                                     label="Re-rank with (CLIPScore)", elem_id="text2image-rerank")
            with gr.Accordion("Settings (0 = the model's default)", open=False):
                with gr.Row():
                    seed = gr.Number(label="Seed (-1 = random)", value=RANDOM_SEED, precision=0, minimum=RANDOM_SEED,
                                     elem_id="text2image-seed")
                    steps = gr.Number(label="Steps", value=None, precision=0, minimum=0, elem_id="text2image-steps")
                with gr.Row():
                    guidance = gr.Number(label="Guidance scale", value=None, minimum=0, elem_id="text2image-guidance")
                    strength = gr.Number(label="Edit strength (0-1)", value=None, minimum=0, maximum=1,
                                         elem_id="text2image-strength")
                every = dict.fromkeys(n for spec in ui.specs for n in _schedulers(spec))  # narrowed per model below
                scheduler = gr.Dropdown([DEFAULT_SCHEDULER, *every], value=DEFAULT_SCHEDULER, label="Scheduler",
                                        elem_id="text2image-scheduler")
            with gr.Row():
                button = gr.Button("Generate", variant="primary", elem_id="text2image-button")
                stop = gr.Button("Stop", variant="stop", elem_id="text2image-stop")
        with gr.Column():
            gallery = gr.Gallery(label="Results (best first when re-ranked)", columns=2, height="auto", format="png",
                                 type="filepath", elem_id="text2image-gallery")
            details = gr.JSON(label="Seeds, scores and parameters", elem_id="text2image-details")
            selected = gr.State(0)
            with gr.Row():
                to_edit = gr.Button("Send to edit", size="sm", elem_id="text2image-to-edit")
                to_inpaint = gr.Button("Send to inpaint", size="sm", elem_id="text2image-to-inpaint")

    def text2image(prompt: str, image: dict | None = None, mask: Any = None, seed: float | None = RANDOM_SEED,
                   num_images: float = 1, negative_prompt: str = "", steps: float | None = None,
                   guidance_scale: float | None = None, strength: float | None = None,
                   scheduler: str = DEFAULT_SCHEDULER, rerank_with: str = "", model: str | None = None,
                   progress: Any = gr.Progress(), request: gr.Request = None):
        picture, painted = editor_parts(image)
        painted = mask.convert("L") if mask is not None else painted
        if painted is not None and picture is None:
            raise gr.Error("inpaint: put the image to repaint in the editor first.")
        mode = "inpaint" if painted is not None else "edit" if picture is not None else "generate"
        options = {k: v for k, v in {"steps": int(steps) if steps else None, "guidance_scale": guidance_scale or None,
                                     "negative_prompt": negative_prompt or None,
                                     "strength": (strength or None) if mode == "edit" else None,
                                     "scheduler": None if scheduler in (None, "", DEFAULT_SCHEDULER) else scheduler,
                                     "rerank_with": rerank_with or None}.items() if v is not None}
        session = request.session_hash if request else ""
        event = stops[session] = threading.Event()
        try:
            results = ui.run(model, prompt, image=picture, mask=painted,
                             seed=None if seed is None or seed < 0 else int(seed), num_images=int(num_images),
                             progress=lambda step, total: progress((step, total), desc="denoising", unit="steps"),
                             stop=event, **options)
        finally:  # one entry per running request, not one per session ever seen
            if stops.get(session) is event:
                del stops[session]
        results = results if isinstance(results, list) else [results]
        folder = Path(tempfile.mkdtemp(dir=out_dir))
        items = []
        for i, result in enumerate(results):
            caption = f"seed {result.seed}" + (f" · score {result.score:.3f}" if result.score is not None else "")
            items.append((str(result.save(folder / f"{i:02d}-seed-{result.seed}.png")), caption))
        return items, [r.to_dict() for r in results]

    def stop_run(request: gr.Request):
        event = stops.get(request.session_hash if request else "")
        if event is not None:
            event.set()

    def show_inputs(mode: str):
        """Each mode's inputs: none (the editor and mask cleared), an image, or an image to paint on."""
        brush = gr.Brush(colors=["#ffffff"], default_size=12, color_mode="fixed") if mode == "inpaint" else False
        editor_update = (gr.ImageEditor(value=None, visible=False) if mode == "generate"
                         else gr.ImageEditor(visible=True, brush=brush, eraser=gr.Eraser() if brush else False))
        return (editor_update, gr.Image(visible=mode == "inpaint", **({} if mode == "inpaint" else {"value": None})),
                gr.Button(value={"generate": "Generate", "edit": "Edit", "inpaint": "Inpaint"}[mode]))

    def pick(event: gr.SelectData) -> int:
        return event.index

    def send(items: list | None, index: int, target: str):
        if not items:
            raise gr.Error("Generate an image first.")
        path = items[min(index, len(items) - 1)][0]
        return gr.ImageEditor(value={"background": path, "layers": [], "composite": path}, visible=True), \
            gr.Radio(value=target)

    def schedulers(model_id: str):
        spec = next(s for s in ui.specs if s.id == model_id)
        return gr.Dropdown(choices=[DEFAULT_SCHEDULER, *_schedulers(spec)], value=DEFAULT_SCHEDULER)

    inputs = [prompt, editor, mask, seed, num_images, negative, steps, guidance, strength, scheduler, rerank, model]
    private = {"api_visibility": "private", "queue": False, "show_progress": "hidden"}
    button.click(text2image, inputs, [gallery, details], api_name="text2image")
    prompt.submit(text2image, inputs, [gallery, details], api_visibility="private")
    stop.click(stop_run, None, None, **private)
    mode.change(show_inputs, [mode], [editor, mask, button], **private)
    gallery.select(pick, None, [selected], **private)
    to_edit.click(lambda items, i: send(items, i, "edit"), [gallery, selected], [editor, mode], **private)
    to_inpaint.click(lambda items, i: send(items, i, "inpaint"), [gallery, selected], [editor, mode], **private)
    ui.on_model_change(model, schedulers, scheduler)
    ui.examples([[p] for p in EXAMPLES], [prompt])
