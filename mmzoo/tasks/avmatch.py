"""``avmatch``: match spoken audio to images (and back), with a matchmap heatmap."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from ..errors import InvalidInput
from ..media import Audio, load_audio, load_image
from .base import Input, Model, Task, check_query_and_gallery, source_label
from .retrieve import Hit

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image as PILImage

    from .tab import TabContext


@dataclass
class AVMatchResult:
    query: str
    hits: list[Hit] = field(default_factory=list)
    matchmap: np.ndarray | None = None  # (frames, h, w) similarities of the query with the best hit
    frame_seconds: float | None = None  # audio seconds per matchmap frame
    score_floor: float | None = None  # the model's "real matches score at least this" (None: unknown)

    @property
    def confident(self) -> bool:
        """False when the best match scores below what the model's real matches score (e.g. not speech)."""
        return self.score_floor is None or not self.hits or self.hits[0].score >= self.score_floor

    def to_dict(self) -> dict[str, Any]:
        shape = list(self.matchmap.shape) if self.matchmap is not None else None
        return {"query": self.query, "hits": [h.__dict__ for h in self.hits], "matchmap_shape": shape,
                "frame_seconds": self.frame_seconds, "score_floor": self.score_floor, "confident": self.confident}


class AVMatchModel(Model):
    """Interface of audio-visual matchers.

    ``embed_audio`` / ``embed_images`` turn items into representations and :meth:`similarity` scores
    every audio against every image. A model whose items are single L2-normalised vectors returns
    (N, D) arrays and keeps the default dot product; a matchmap model returns what its similarity
    pools over (audio frames, image regions) as a list with one entry per item.
    """

    def embed_audio(self, audios: list[Audio]) -> Any:
        raise NotImplementedError

    def embed_images(self, images: list[PILImage.Image]) -> Any:
        raise NotImplementedError

    def similarity(self, audio_embeddings: Any, image_embeddings: Any) -> np.ndarray:
        """(audios, images) similarities of ``embed_audio`` and ``embed_images`` outputs (higher: better match)."""
        import numpy as np

        return np.asarray(audio_embeddings) @ np.asarray(image_embeddings).T

    def matchmap(self, audio: Audio, image: PILImage.Image) -> np.ndarray | None:
        """(frames, h, w) similarity of each audio frame with each image region; None if not supported."""
        return None

    def frame_seconds(self) -> float | None:
        """Seconds of audio per matchmap frame (None: no matchmap)."""
        return None

    def check_query_audio(self, audio: Audio) -> None:
        """Refuse a query no match would mean anything for (:class:`InvalidInput`): silence here; a
        spoken-caption model also refuses audio without speech."""
        check_speech(audio)

    def score_floor(self) -> float | None:
        """The similarity real matches reach (e.g. a low percentile on validation data); a best match
        below it is reported as not confident. None: unknown."""
        return None


SILENCE_DBFS = -45.0  # a query whose loudest 25 ms stays below this holds no speech


def check_speech(audio: Audio) -> None:
    """:class:`InvalidInput` for a silent (or empty) query: no match, and no heatmap, would mean anything."""
    import numpy as np

    samples = np.asarray(audio.waveform, dtype=np.float64)
    window = max(1, int(0.025 * audio.sample_rate))
    frames = samples[: len(samples) // window * window].reshape(-1, window) if len(samples) >= window else samples[None]
    loudest = float(np.sqrt((frames ** 2).mean(axis=1)).max()) if samples.size else 0.0
    if 20 * np.log10(max(loudest, 1e-10)) < SILENCE_DBFS:
        raise InvalidInput(f"the audio is silent (its loudest 25 ms is below {SILENCE_DBFS:g} dBFS): "
                           "record or upload a spoken caption")


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
        Input("k", "int", "how many results", required=False, default=5, bounds=(1, 10_000)),
    )

    def run(self, model: AVMatchModel, *, audio: Any = None, image: Any = None, images: Sequence[Any] | None = None,
            audios: Sequence[Any] | None = None, k: int = 5, with_matchmap: bool = True) -> AVMatchResult:
        import numpy as np

        from ..eval.retrieval import top_k

        check_query_and_gallery({"audio": audio, "image": image}, {"images": images, "audios": audios}, k)
        if audio is not None:
            query_audio = load_audio(audio)
            model.check_query_audio(query_audio)
            query, label = model.embed_audio([query_audio]), source_label(audio) or "audio"
        else:
            query_image = load_image(image)
            query, label = model.embed_images([query_image]), source_label(image) or "image"
        if images is not None:
            gallery_items = [load_image(x) for x in images]
            scores = model.similarity(query, model.embed_images(gallery_items))[0]
            items = [source_label(x) for x in images]
        else:
            gallery_items = [load_audio(x) for x in audios]
            scores = model.similarity(model.embed_audio(gallery_items), query)[:, 0]
            items = [source_label(x) for x in audios]
        hits = [Hit(int(i), float(scores[i]), items[i]) for i in top_k(np.asarray(scores, dtype=np.float64), k)]
        result = AVMatchResult(label, hits, frame_seconds=model.frame_seconds(), score_floor=model.score_floor())
        if with_matchmap:
            best = gallery_items[hits[0].index]
            pair = (query_audio, best) if audio is not None else (best, query_image)
            result.matchmap = model.matchmap(*pair)
        return result

    def build_tab(self, ui: TabContext) -> None:
        from .avmatch_tab import build

        build(ui)
