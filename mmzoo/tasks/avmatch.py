"""``avmatch``: match spoken audio to images (and back), with a matchmap heatmap."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from ..media import Audio, load_audio, load_image
from .base import Input, Model, Task, check_query_and_gallery, source_label
from .retrieve import Hit, rank

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image as PILImage

    from .tab import TabContext


@dataclass
class AVMatchResult:
    query: str
    hits: list[Hit] = field(default_factory=list)
    matchmap: np.ndarray | None = None  # (frames, h, w) similarities of the query with the best hit

    def to_dict(self) -> dict[str, Any]:
        shape = list(self.matchmap.shape) if self.matchmap is not None else None
        return {"query": self.query, "hits": [h.__dict__ for h in self.hits], "matchmap_shape": shape}


class AVMatchModel(Model):
    """Interface of audio-visual matchers: audio and images into one L2-normalised space."""

    def embed_audio(self, audios: list[Audio]) -> np.ndarray:
        raise NotImplementedError

    def embed_images(self, images: list[PILImage.Image]) -> np.ndarray:
        raise NotImplementedError

    def matchmap(self, audio: Audio, image: PILImage.Image) -> np.ndarray | None:
        """(frames, h, w) similarity of each audio frame with each image region; None if not supported."""
        return None


def heatmap_overlay(image: PILImage.Image, matchmap: np.ndarray) -> PILImage.Image:
    """The image with the time-pooled matchmap laid over it in red."""
    import numpy as np
    from PIL import Image

    heat = matchmap.max(axis=0)
    heat = (heat - heat.min()) / max(float(np.ptp(heat)), 1e-6)
    mask = Image.fromarray((heat * 255).astype(np.uint8)).resize(image.size, Image.Resampling.BILINEAR)
    red = Image.new("RGB", image.size, (255, 0, 0))
    return Image.composite(red, image.convert("RGB"), mask.point(lambda v: int(v * 0.6)))


class AVMatchTask(Task):
    id = "avmatch"
    title = "Audio ↔ image"
    summary = "Find the image a spoken caption describes, or the audio that fits an image."
    interface = AVMatchModel
    inputs = (
        Input("audio", "audio", "audio query", required=False),
        Input("image", "image", "image query", required=False),
        Input("images", "images", "gallery of images", required=False, multiple=True),
        Input("audios", "audios", "gallery of audio files", required=False, multiple=True),
        Input("k", "int", "how many results", required=False, default=5),
    )

    def run(self, model: AVMatchModel, *, audio: Any = None, image: Any = None, images: Sequence[Any] | None = None,
            audios: Sequence[Any] | None = None, k: int = 5, with_matchmap: bool = True) -> AVMatchResult:
        check_query_and_gallery({"audio": audio, "image": image}, {"images": images, "audios": audios}, k)
        if audio is not None:
            query_audio = load_audio(audio)
            query, label = model.embed_audio([query_audio])[0], source_label(audio) or "audio"
        else:
            query_image = load_image(image)
            query, label = model.embed_images([query_image])[0], source_label(image) or "image"
        if images is not None:
            gallery_items = [load_image(x) for x in images]
            gallery = model.embed_images(gallery_items)
            items = [source_label(x) for x in images]
        else:
            gallery_items = [load_audio(x) for x in audios]
            gallery = model.embed_audio(gallery_items)
            items = [source_label(x) for x in audios]
        hits = rank(query, gallery, k, items)
        result = AVMatchResult(label, hits)
        if with_matchmap:
            best = gallery_items[hits[0].index]
            pair = (query_audio, best) if audio is not None else (best, query_image)
            result.matchmap = model.matchmap(*pair)
        return result

    def build_tab(self, ui: TabContext) -> None:
        import gradio as gr

        with gr.Row():
            with gr.Column():
                model = ui.model_dropdown()
                audio = gr.Audio(label="Spoken caption", type="filepath")
                gallery_in = gr.File(label="Gallery images", file_count="multiple", file_types=["image"])
                button = gr.Button("Match", variant="primary")
            with gr.Column():
                gallery_out = gr.Gallery(label="Best matches", columns=3)
                heat = gr.Image(label="Matchmap of the best match", type="pil", format="png")

        def match(audio: str | None, images: list[str] | None, model: str | None = None):
            if not audio or not images:
                raise gr.Error("Give a spoken caption and some gallery images.")
            pictures = [ui.image(f) for f in images]
            result = ui.run(model, audio=audio, images=pictures)
            best = pictures[result.hits[0].index]
            overlay = heatmap_overlay(best, result.matchmap) if result.matchmap is not None else None
            return [(images[h.index], f"{h.score:.3f}") for h in result.hits], overlay

        button.click(match, [audio, gallery_in, model], [gallery_out, heat], api_name="avmatch")
