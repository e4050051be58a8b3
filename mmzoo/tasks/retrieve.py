"""``retrieve``: rank a gallery of images or texts against a text or image query; zero-shot labels.

A gallery is a list of images, a list of texts, or a gallery index folder built by
``mmzoo index build`` (``mmzoo.run`` opens it into a :class:`Gallery`; this module does not
import the index). With ``labels`` instead of a gallery, an image is classified zero-shot: each
label becomes prompts from the model's templates, and the label whose averaged prompt embedding
is closest to the image wins.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence

from ..errors import InvalidInput
from ..media import check_text, load_image
from .base import Input, Model, Task, join_embeddings, source_label

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image as PILImage

    from .tab import TabContext

DEFAULT_TEMPLATES = ("a photo of a {}.",)
DEFAULT_LOGIT_SCALE = 100.0
PROMPT_BATCH = 256  # prompts embedded per call when expanding labels with templates
THUMBNAIL = 384  # longest side of index images shown in the app


@dataclass
class Hit:
    index: int  # position in the gallery (the row, for an index)
    score: float  # cosine similarity
    item: str | None = None  # the gallery text, or the image's path when known


@dataclass
class RetrievalResult:
    query: str
    hits: list[Hit] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "hits": [h.__dict__ for h in self.hits]}


@dataclass
class LabelScore:
    label: str
    score: float  # cosine similarity between the image and the label's prompt embedding
    probability: float  # softmax(logit_scale * score) over the labels


@dataclass
class ZeroShotResult:
    query: str
    labels: list[LabelScore] = field(default_factory=list)  # best first

    @property
    def best(self) -> str:
        return self.labels[0].label

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "labels": [s.__dict__ for s in self.labels]}


class Gallery(Protocol):
    """Images embedded ahead of time, as ``index=`` takes them; ``mmzoo.run`` opens an index folder
    into one (a :class:`mmzoo.index.GalleryIndex`)."""

    @property
    def model_id(self) -> str:
        """The model its images were embedded with."""

    def check_model(self, model: Model) -> None:
        """InvalidInput unless ``model`` is that model."""

    def search(self, query: np.ndarray, k: int = 5, *, approximate: bool | None = None) -> list[tuple[int, float]]:
        """The ``k`` rows most similar to a unit ``query``: ``[(row, cosine), ...]``, best first."""

    def search_by(self, score: Callable[[np.ndarray], np.ndarray], k: int = 5) -> list[tuple[int, float]]:
        """The ``k`` best rows by ``score(embeddings) -> one score per row`` (exact; multi-vector models)."""

    def path(self, row: int) -> Path:
        """The image file of a row."""

    def info(self) -> dict[str, Any]:
        """What it holds: ``images``, ``folder``, ``model``, ``approximate`` (as ``mmzoo index info``)."""


class RetrievalModel(Model):
    """Interface of dual encoders: texts and images into one space, scored by :meth:`similarity`.

    A *single-vector* model (the default) embeds each item as one L2-normalised row of an (N, D)
    array, and its similarity is their dot product (FAISS indexes apply). A multi-vector model (e.g.
    words x image regions) sets ``single_vector = False``: ``embed_images`` still returns an (N, D)
    array (its regions flattened, so an index can store it), ``embed_texts`` may return a list with
    one entry per text, and :meth:`similarity` pools them its own way; searches are then exact.
    """

    #: One unit vector per item, compared by dot product (False: the model's own :meth:`similarity`).
    single_vector: bool = True

    #: Prompt templates for zero-shot labels: format strings with one ``{}`` or callables
    #: ``label -> prompt`` (open_clip's ImageNet templates are either).
    templates: Sequence[str | Callable[[str], str]] = DEFAULT_TEMPLATES
    #: Multiplies cosine similarities before the softmax of zero-shot labels (CLIP learns ~100).
    logit_scale: float = DEFAULT_LOGIT_SCALE

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """(N, D) float32, rows of unit length."""
        raise NotImplementedError

    def embed_images(self, images: list[PILImage.Image]) -> np.ndarray:
        """(N, D) float32, rows of unit length."""
        raise NotImplementedError

    def similarity(self, text_embeddings: Any, image_embeddings: Any) -> np.ndarray:
        """(texts, images) similarities of ``embed_texts`` and ``embed_images`` outputs (higher: better)."""
        import numpy as np

        return np.asarray(text_embeddings) @ np.asarray(image_embeddings).T


def rank(scores: np.ndarray, k: int, items: Sequence[str | None]) -> list[Hit]:
    """The ``k`` best of a gallery's ``scores`` (one per item), best first."""
    from ..eval.retrieval import top_k

    return [Hit(int(i), float(scores[i]), items[i]) for i in top_k(scores, k)]


def query_scores(model: RetrievalModel, query: Any, gallery: Any, query_is_text: bool) -> np.ndarray:
    """The similarity of one embedded query (a one-item ``embed_*`` output) to every gallery item."""
    import numpy as np

    if query_is_text:
        return np.asarray(model.similarity(query, gallery))[0]
    return np.asarray(model.similarity(gallery, query))[:, 0]


def parse_labels(labels: str | Sequence[str]) -> list[str]:
    """Class names from a list, or from one comma-separated string; stripped, non-empty, distinct."""
    if isinstance(labels, str):
        names = [part.strip() for part in labels.split(",") if part.strip()]
    elif isinstance(labels, (list, tuple)):
        names = [check_text(label, "label", max_chars=200) for label in labels]
    else:
        raise InvalidInput(f"labels must be a list of class names, got {type(labels).__name__}")
    if not names:
        raise InvalidInput("give at least one label, e.g. labels=['cat', 'dog']")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidInput(f"label(s) given more than once: {', '.join(twice)}")
    return names


def prompts_for(label: str, templates: Sequence[str | Callable[[str], str]]) -> list[str]:
    return [t(label) if callable(t) else t.format(label) for t in templates]


def zero_shot(model: RetrievalModel, image: PILImage.Image, labels: Sequence[str],
              query: str = "image") -> ZeroShotResult:
    """Score ``labels`` for ``image``: prompt embeddings averaged per label, then cosine and softmax."""
    import numpy as np

    templates = tuple(getattr(model, "templates", None) or DEFAULT_TEMPLATES)
    scale = float(getattr(model, "logit_scale", None) or DEFAULT_LOGIT_SCALE)
    prompts = [p for label in labels for p in prompts_for(label, templates)]
    rows = join_embeddings([model.embed_texts(prompts[i:i + PROMPT_BATCH]) for i in range(0, len(prompts), PROMPT_BATCH)])
    if getattr(model, "single_vector", True):
        text = np.asarray(rows, dtype=np.float32).reshape(len(labels), len(templates), -1).mean(axis=1)
        text /= np.maximum(np.linalg.norm(text, axis=1, keepdims=True), 1e-12)
        vector = np.asarray(model.embed_images([image])[0], dtype=np.float32)
        cosine = text @ (vector / max(float(np.linalg.norm(vector)), 1e-12))
    else:  # no single vector to average: the mean similarity over a label's prompts
        similarity = np.asarray(model.similarity(rows, model.embed_images([image])), dtype=np.float32)[:, 0]
        cosine = similarity.reshape(len(labels), len(templates)).mean(axis=1)
    logits = scale * cosine
    probabilities = np.exp(logits - logits.max())
    probabilities /= probabilities.sum()
    scores = [LabelScore(label, float(c), float(p)) for label, c, p in zip(labels, cosine, probabilities)]
    return ZeroShotResult(query, sorted(scores, key=lambda s: -s.probability))


def _check_inputs(text: Any, image: Any, galleries: dict[str, Any], k: int) -> str:
    """Exactly one query and exactly one non-empty gallery; return the gallery's name."""
    if (text is None) == (image is None):
        raise InvalidInput("give exactly one query: text=... or image=...")
    given = [name for name, value in galleries.items() if value is not None]
    if len(given) != 1:
        raise InvalidInput("give exactly one gallery: images=[...], texts=[...] or index=PATH "
                           "(or labels=[...] with an image query)")
    if given[0] != "index":
        if isinstance(galleries[given[0]], (str, bytes, os.PathLike)):
            raise InvalidInput(f"{given[0]}= takes a list; for a folder of images, build an index and pass index=PATH")
        if len(galleries[given[0]]) == 0:
            raise InvalidInput(f"give a non-empty gallery: {given[0]}=[...] is empty")
    if k < 1:
        raise InvalidInput(f"k must be at least 1, got {k}")
    return given[0]


class RetrieveTask(Task):
    id = "retrieve"
    title = "Retrieve"
    summary = "Search images by text, or texts by image, in one embedding space; label images zero-shot."
    interface = RetrievalModel
    inputs = (
        Input("text", "text", "text query", required=False),
        Input("image", "image", "image query", required=False),
        Input("images", "images", "gallery of images to search", required=False, multiple=True),
        Input("texts", "texts", "gallery of texts to search", required=False, multiple=True),
        Input("index", "index", "gallery index folder (built by `mmzoo index build`) to search", required=False),
        Input("labels", "text", "comma-separated class names: label the --image zero-shot", required=False),
        Input("approximate", "flag", "search the index approximately (FAISS)", required=False),
        Input("k", "int", "how many results", required=False, default=5, bounds=(1, 10_000)),
    )

    def run(self, model: RetrievalModel, *, text: str | None = None, image: Any = None,
            images: Sequence[Any] | None = None, texts: Sequence[str] | None = None,
            index: Gallery | None = None, labels: str | Sequence[str] | None = None,
            approximate: bool | None = None, k: int = 5) -> RetrievalResult | ZeroShotResult:
        if labels is not None:
            if image is None or text is not None or any(g is not None for g in (images, texts, index)):
                raise InvalidInput("zero-shot labels need an image query and no gallery: image=..., labels=[...]")
            names = parse_labels(labels)
            return zero_shot(model, load_image(image), names, source_label(image) or "image")
        gallery = _check_inputs(text, image, {"images": images, "texts": texts, "index": index}, k)
        if gallery == "index":
            if isinstance(index, (str, os.PathLike)):
                raise InvalidInput("index= takes an opened gallery here; mmzoo.run(..., index=FOLDER) opens one")
            index.check_model(model)  # before embedding anything
        if text is not None:
            query_text = check_text(text, "query")
            query, label = model.embed_texts([query_text]), query_text
        else:
            query, label = model.embed_images([load_image(image)]), source_label(image) or "image"
        if gallery == "index":
            return RetrievalResult(label, self._search_index(model, index, query, text is not None, k, approximate))
        if approximate:
            raise InvalidInput("approximate search needs an index gallery: index=PATH")
        if gallery == "images":
            vectors = model.embed_images([load_image(x) for x in images])
            items = [source_label(x) for x in images]
        else:
            items = [check_text(t, "gallery text") for t in texts]
            vectors = model.embed_texts(items)
        return RetrievalResult(label, rank(query_scores(model, query, vectors, text is not None), k, items))

    @staticmethod
    def _search_index(model: RetrievalModel, index: Gallery, query: Any, query_is_text: bool, k: int,
                      approximate: bool | None) -> list[Hit]:
        if getattr(model, "single_vector", True):
            found = index.search(query[0], k, approximate=approximate)
        elif approximate:
            raise InvalidInput(f"{model.spec.id if model.spec else 'this model'} compares words with image regions: "
                               "it searches an index exactly (approximate=False)")
        else:
            found = index.search_by(lambda rows: query_scores(model, query, rows, query_is_text), k)
        return [Hit(row, score, str(index.path(row))) for row, score in found]

    def preferred_model(self, inputs: dict[str, Any]) -> str | None:
        """The model these inputs call for when none is named: an index's own model."""
        index = inputs.get("index")
        return index.model_id if index is not None else None

    def to_text(self, result: RetrievalResult | ZeroShotResult) -> str:
        if isinstance(result, ZeroShotResult):
            return "\n".join(f"{s.probability:7.2%}  {s.score:+.3f}  {s.label}" for s in result.labels)
        return "\n".join(f"{h.score:+.3f}  {h.item if h.item is not None else h.index}" for h in result.hits)

    def build_tab(self, ui: TabContext) -> None:
        _RetrieveTab(self, ui).build()


class _RetrieveTab:
    """The Retrieve tab: a query (text or image), a gallery source, and the best matches."""

    SOURCES = ("Uploaded images", "Index folder", "Captions (image -> text)", "Zero-shot labels")

    def __init__(self, task: RetrieveTask, ui: TabContext) -> None:
        self.task, self.ui = task, ui

    def build(self) -> None:
        import gradio as gr

        ui = self.ui
        with gr.Row():
            with gr.Column(scale=1):
                model = ui.model_dropdown()
                text = gr.Textbox(label="Text query", placeholder="a photo of a cat", elem_id="retrieve-text")
                image = gr.Image(type="filepath", label="Image query (instead of text)", height=220,
                                 sources=["upload", "clipboard"], elem_id="retrieve-image")
                k = gr.Slider(1, 50, value=5, step=1, label="Top k", elem_id="retrieve-k")
            with gr.Column(scale=2):
                source = gr.Radio(list(self.SOURCES), value=self.SOURCES[0], label="Search in",
                                  elem_id="retrieve-source")
                with gr.Group(visible=True) as images_group:
                    files = gr.File(label="Gallery images", file_count="multiple", file_types=["image"],
                                    elem_id="retrieve-gallery")
                    search_images = gr.Button("Search images", variant="primary", elem_id="retrieve-search")
                    images_out = gr.Gallery(label="Best matches", columns=4, height="auto",
                                            elem_id="retrieve-results")
                with gr.Group(visible=False) as index_group:
                    index_path = gr.Textbox(label="Index folder", elem_id="retrieve-index",
                                            placeholder="photos/.mmzoo-index  (mmzoo index build photos)")
                    index_info = gr.Markdown(elem_id="retrieve-index-info")
                    search_index = gr.Button("Search index", variant="primary", elem_id="retrieve-search-index")
                    index_out = gr.Gallery(label="Best matches", columns=4, height="auto",
                                           elem_id="retrieve-index-results")
                with gr.Group(visible=False) as texts_group:
                    captions = gr.Textbox(label="Captions, one per line", lines=6, elem_id="retrieve-captions")
                    search_texts = gr.Button("Search captions", variant="primary", elem_id="retrieve-search-texts")
                    texts_out = gr.Dataframe(headers=["rank", "score", "caption"], label="Best matches",
                                             interactive=False, elem_id="retrieve-texts")
                    ui.examples([["a red circle\na green square\na blue triangle"]], [captions])
                with gr.Group(visible=False) as labels_group:
                    labels = gr.Textbox(label="Labels, comma-separated (uses the image query)",
                                        placeholder="cat, dog, car", elem_id="retrieve-labels")
                    classify = gr.Button("Label the image", variant="primary", elem_id="retrieve-classify")
                    labels_out = gr.Label(label="Zero-shot probabilities", num_top_classes=10,
                                          elem_id="retrieve-zero-shot")
                    ui.examples([["red, green, blue"], ["cat, dog, bird, car"]], [labels])

        groups = [images_group, index_group, texts_group, labels_group]
        source.change(lambda chosen: [gr.Group(visible=chosen == s) for s in self.SOURCES], [source], groups,
                      queue=False, show_progress="hidden", api_visibility="private")
        gr.on([index_path.submit, index_path.blur], self.describe_index, [index_path], [index_info, model],
              queue=False, show_progress="hidden", api_visibility="private")
        search_images.click(self.search_images, [text, image, files, k, model], [images_out], api_name="retrieve")
        search_index.click(self.search_index, [text, image, index_path, k, model], [index_out],
                           api_name="retrieve_index")
        search_texts.click(self.search_texts, [text, image, captions, k, model], [texts_out],
                           api_name="retrieve_texts")
        classify.click(self.zero_shot, [image, labels, model], [labels_out], api_name="zero_shot")

    # -- event handlers (also the HTTP endpoints: parameters named as mmzoo.run's) ---------
    @staticmethod
    def query(text: str | None, image: str | None) -> dict[str, Any]:
        import gradio as gr

        text = (text or "").strip() or None
        if (text is None) == (image is None):
            raise gr.Error("Type a text query or give a query image (one of them, not both).", print_exception=False)
        return {"text": text} if text else {"image": image}

    def search_images(self, text: str | None = None, image: str | None = None, images: list[str] | None = None,
                      k: float = 5, model: str | None = None):
        import gradio as gr

        if not images:
            raise gr.Error("Upload some gallery images first.", print_exception=False)
        result = self.ui.run(model, **self.query(text, image), images=list(images), k=int(k))
        return [(hit.item, f"{hit.score:.3f} · {Path(hit.item).name}") for hit in result.hits]

    def search_index(self, text: str | None = None, image: str | None = None, index: str | None = None, k: float = 5,
                     model: str | None = None):
        import gradio as gr

        if not (index or "").strip():
            raise gr.Error("Give the folder of an index built with `mmzoo index build`.", print_exception=False)
        result = self.ui.run(model, **self.query(text, image), index=index.strip(), k=int(k))
        shown = []
        for hit in result.hits:  # thumbnails: the app may only serve files from its own folders
            try:
                picture = load_image(hit.item)
            except InvalidInput:  # deleted since the index was built
                continue
            picture.thumbnail((THUMBNAIL, THUMBNAIL))
            shown.append((picture, f"{hit.score:.3f} · {Path(hit.item).name}"))
        return shown

    def search_texts(self, text: str | None = None, image: str | None = None, texts: str | None = None, k: float = 5,
                     model: str | None = None):
        """``texts``: the gallery captions, one per line."""
        import gradio as gr

        lines = [line.strip() for line in (texts or "").splitlines() if line.strip()]
        if not lines:
            raise gr.Error("Give some captions, one per line.", print_exception=False)
        result = self.ui.run(model, **self.query(text, image), texts=lines, k=int(k))
        return [[rank + 1, round(hit.score, 4), hit.item] for rank, hit in enumerate(result.hits)]

    def zero_shot(self, image: str | None = None, labels: str | None = None, model: str | None = None):
        import gradio as gr

        if not image:
            raise gr.Error("Give the image to label (the image query).", print_exception=False)
        if not (labels or "").strip():
            raise gr.Error("Give some labels, comma-separated: cat, dog, car", print_exception=False)
        result = self.ui.run(model, image=image, labels=labels)
        return {s.label: s.probability for s in result.labels}

    def describe_index(self, path: str):
        import gradio as gr

        from ..errors import MMZooError

        if not (path or "").strip():
            return "", gr.skip()
        try:
            opened: Gallery = self.ui.open_input("index", path.strip())
        except (MMZooError, OSError, ValueError) as exc:
            return f"⚠️ {exc}", gr.skip()
        about = opened.info()
        kind = (about["approximate"] or {}).get("kind")
        info = (f"{about['images']} images from `{about['folder']}`, built with `{opened.model_id}`"
                f"{f', approximate search ({kind})' if kind else ''}.")
        if opened.model_id in self.ui.model_ids:
            return info, gr.Dropdown(value=opened.model_id)
        return info + f" ⚠️ Its model `{opened.model_id}` is not installed here.", gr.skip()
