"""The ``avmatch`` tab: a spoken caption -> ranked images with the matchmap heatmap over time, and
an image -> ranked spoken captions, playable.

Endpoints (the parameter names of ``mmzoo.run("avmatch", ...)``): ``/avmatch`` (audio, images, k,
model) and ``/avmatch_image`` (image, audios, k, model). Without an uploaded gallery, the shipped
examples (``mmzoo/assets/avmatch``: Shapes test scenes and captions spoken in the held-out accent)
are the gallery.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image as PILImage

    from .tab import TabContext

PLAYERS = 3  # spoken captions playable in the image -> audio direction
DISPLAY = 320  # pixels: small images are enlarged before the heatmap is laid over them


def example_files(ui: TabContext) -> tuple[list[str], list[str]]:
    """The shipped example gallery: (images, spoken captions)."""
    folder = Path(ui.asset("avmatch"))
    return sorted(str(p) for p in folder.glob("*.png")), sorted(str(p) for p in folder.glob("*.wav"))


def frames_at(matchmap: np.ndarray, seconds: float, frame_seconds: float, window: float = 0.3) -> np.ndarray:
    """The matchmap frames within ``window`` seconds of time ``seconds`` (at least one)."""
    centre = min(max(0, int(seconds / frame_seconds)), len(matchmap) - 1)
    half = max(0, round(window / frame_seconds / 2))
    return matchmap[max(0, centre - half):centre + half + 1]


def heatmap_overlay(image: PILImage.Image, matchmap: np.ndarray) -> PILImage.Image:
    """The image with the time-pooled matchmap laid over it in red."""
    import numpy as np
    from PIL import Image

    from ..eval.localisation import pooled_heatmap

    heat = pooled_heatmap(matchmap)
    heat = (heat - heat.min()) / max(float(np.ptp(heat)), 1e-6)
    mask = Image.fromarray((heat * 255).astype(np.uint8)).resize(image.size, Image.Resampling.BILINEAR)
    red = Image.new("RGB", image.size, (255, 0, 0))
    return Image.composite(red, image.convert("RGB"), mask.point(lambda v: int(v * 0.6)))


def heatmap_at(image: PILImage.Image, matchmap: np.ndarray, frame_seconds: float | None,
               seconds: float | None) -> PILImage.Image:
    """The heatmap over ``image``: pooled over the whole caption (``seconds`` None) or around one moment."""
    from PIL import Image

    if min(image.size) < DISPLAY:
        scale = DISPLAY / min(image.size)
        image = image.convert("RGB").resize((round(image.width * scale), round(image.height * scale)),
                                            Image.Resampling.BICUBIC)
    if seconds is None or frame_seconds is None:
        return heatmap_overlay(image, matchmap)
    return heatmap_overlay(image, frames_at(matchmap, seconds, frame_seconds))


def build(ui: TabContext) -> None:
    import gradio as gr

    from ..media import load_audio
    from ..plots import audio_plot

    gallery_images, gallery_audio = example_files(ui)
    with gr.Row():
        with gr.Column():
            model = ui.model_dropdown()
            audio = gr.Audio(label="Spoken caption", sources=["upload", "microphone"], type="filepath",
                             elem_id="avmatch-audio")
            images = gr.File(label="Gallery images (default: the examples)", file_count="multiple",
                             file_types=["image"], elem_id="avmatch-images")
            k = gr.Slider(1, 20, value=5, step=1, label="Matches")
            button = gr.Button("Match", variant="primary", elem_id="avmatch-run")
        with gr.Column():
            note = gr.Markdown(elem_id="avmatch-note")
            ranked = gr.Gallery(label="Best matches", columns=3, height=260, elem_id="avmatch-gallery")
            heat = gr.Image(label="Where the caption looks in the best match (matchmap)", type="pil", format="png",
                            height=DISPLAY, elem_id="avmatch-heat")
            pooled = gr.Checkbox(value=True, label="Pool over the whole caption")
            moment = gr.Slider(0, 10, value=0, step=0.05, label="Time (s): what the model looks at now",
                               elem_id="avmatch-time")
            signal = gr.Image(label="The caption: waveform and mel spectrogram", type="pil", format="png",
                              elem_id="avmatch-signal")
    state = gr.State()
    ui.examples([[a] for a in gallery_audio], [audio])

    def match(audio: str | None, images: list[str] | None = None, k: float = 5, model: str | None = None):
        if not audio:
            raise gr.Error("Record or upload a spoken caption.")
        paths = list(images or gallery_images)
        pictures = [ui.image(p) for p in paths]
        result = ui.run(model, audio=audio, images=pictures, k=int(k))
        spoken = load_audio(audio)
        ranked = [(paths[h.index], f"{h.score:.3f} {Path(h.item or paths[h.index]).name}") for h in result.hits]
        if result.matchmap is None:
            return ranked, "", None, audio_plot(spoken), None, gr.Slider()
        if not result.confident:
            message = (f"**No confident match**: the best score {result.hits[0].score:.3f} is below "
                       f"{result.score_floor:.3f}, what this model's real captions score. Is this speech?")
            return ranked, message, None, audio_plot(spoken), None, gr.Slider()
        best = pictures[result.hits[0].index]
        kept = {"image": best, "matchmap": result.matchmap, "frame_seconds": result.frame_seconds,
                "audio": spoken}
        slider = gr.Slider(0, round(spoken.duration, 2), value=0)
        return ranked, "", heatmap_at(best, result.matchmap, None, None), audio_plot(spoken), kept, slider

    def show_moment(kept: dict[str, Any] | None, pooled: bool, seconds: float):
        if not kept:
            return None, None
        at = None if pooled else float(seconds)
        return (heatmap_at(kept["image"], kept["matchmap"], kept["frame_seconds"], at),
                audio_plot(kept["audio"], at))

    button.click(match, [audio, images, k, model], [ranked, note, heat, signal, state, moment], api_name="avmatch")
    moment.change(show_moment, [state, pooled, moment], [heat, signal], api_name=False, show_progress="hidden")
    pooled.change(show_moment, [state, pooled, moment], [heat, signal], api_name=False, show_progress="hidden")

    gr.Markdown("### Image → spoken captions")
    with gr.Row():
        with gr.Column():
            image = gr.Image(label="Image", type="filepath", elem_id="avmatch-image")
            audios = gr.File(label="Spoken captions (default: the examples)", file_count="multiple",
                             file_types=["audio"], elem_id="avmatch-audios")
            k2 = gr.Slider(1, 20, value=5, step=1, label="Matches")
            button2 = gr.Button("Find captions", variant="primary", elem_id="avmatch-image-run")
        with gr.Column():
            table = gr.Dataframe(headers=["rank", "spoken caption", "score"], interactive=False,
                                 elem_id="avmatch-captions")
            players = [gr.Audio(label=f"Match {i + 1}", type="filepath", visible=False) for i in range(PLAYERS)]
    ui.examples([[p] for p in gallery_images[:3]], [image])

    def captions_for(image: str | None, audios: list[str] | None = None, k: float = 5, model: str | None = None):
        if not image:
            raise gr.Error("Upload an image.")
        paths = list(audios or gallery_audio)
        result = ui.run(model, image=ui.image(image), audios=paths, k=int(k))
        rows = [[n + 1, Path(paths[h.index]).name, round(h.score, 4)] for n, h in enumerate(result.hits)]
        shown = [gr.Audio(value=paths[h.index], visible=True, label=f"Match {n + 1}: {Path(paths[h.index]).name}")
                 for n, h in enumerate(result.hits[:PLAYERS])]
        return [rows, *shown, *[gr.Audio(value=None, visible=False)] * (PLAYERS - len(shown))]

    button2.click(captions_for, [image, audios, k2, model], [table, *players], api_name="avmatch_image")
