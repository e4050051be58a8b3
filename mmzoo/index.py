"""Gallery indexes: a folder of images embedded once, kept up to date incrementally, searched fast.

An index folder (``FOLDER/.mmzoo-index`` unless told otherwise) holds::

    manifest.json          model id, embedding size, mmzoo version, the image folder, and one entry
                           per image (relative path, size, mtime, sha256) in row order
    embeddings-<id>.npy    float32 (N, D), unit rows; row i belongs to manifest["files"][i]
    faiss-<id>.index       optional FAISS index over the same rows, for approximate search

The manifest is the commit point: embeddings and FAISS files are written under fresh names
(temp file + ``os.replace``) and only then does a new manifest naming them replace the old one.
An interrupted build therefore leaves the previous index intact, and long builds commit a
checkpoint every few minutes so the images embedded so far are kept.

It sits below the tasks: it takes a loaded model (anything with ``embed_images``) and imports
neither the API, the plugins nor the tasks; ``mmzoo.run(..., index=FOLDER)`` opens an index and
hands it to the retrieve task, which searches it. Numpy, Pillow and FAISS are imported inside
functions, so ``import mmzoo`` stays light.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import secrets
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Protocol

from ._version import __version__
from .errors import InvalidInput, MissingDependency

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image as PILImage

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
DEFAULT_DIRNAME = ".mmzoo-index"
MANIFEST = "manifest.json"
FORMAT = 1
BATCH_SIZE = 32
CHECKPOINT_SECONDS = 300.0
HNSW_MAX_ROWS = 200_000  # ``approximate=True`` picks HNSW up to this many images, IVF above
APPROXIMATE_KINDS = ("hnsw", "ivf")
FAISS_HINT = "approximate search needs FAISS: pip install faiss-cpu"


class ImageEmbedder(Protocol):
    """What an index needs of a model (a retrieval model is one)."""

    def embed_images(self, images: list[PILImage.Image]) -> np.ndarray:
        """(N, D) float32 rows."""


@dataclass
class FileEntry:
    """One indexed image: where it is (relative to the folder, '/'-separated) and what it was."""

    path: str
    size: int
    mtime_ns: int
    sha256: str


@dataclass
class Changes:
    """What one build or update did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    embedded: int = 0  # images run through the model (moved or copied files reuse their rows)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why): unreadable files
    seconds: float = 0.0

    def summary(self) -> str:
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        return (f"added {len(self.added)}, updated {len(self.updated)}, removed {len(self.removed)}, "
                f"unchanged {self.unchanged}{skipped} ({self.embedded} embedded) in {self.seconds:.1f} s")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def model_key(model: Any) -> str:
    """The id an index records for a model: its registry id, else its class."""
    spec = getattr(model, "spec", None)
    return spec.id if spec is not None else f"{type(model).__module__}.{type(model).__qualname__}"


def locate(path: str | os.PathLike) -> Path:
    """The index folder at ``path``, or in ``path/.mmzoo-index`` when ``path`` is the image folder."""
    path = Path(path).expanduser()
    for candidate in (path, path / DEFAULT_DIRNAME):
        if (candidate / MANIFEST).is_file():
            return candidate
    raise InvalidInput(f"no gallery index at {path}: build one with `mmzoo index build FOLDER`")


def previous(folder: str | os.PathLike, out_dir: str | os.PathLike | None = None) -> GalleryIndex | None:
    """The index that building ``folder`` into ``out_dir`` (default ``folder/.mmzoo-index``) updates,
    or None for a new one. InvalidInput when ``folder`` is no folder or ``out_dir`` indexes another."""
    folder, out = _folders(folder, out_dir)
    if not (out / MANIFEST).is_file():
        return None
    old = GalleryIndex.open(out)
    if old.folder != folder:
        raise InvalidInput(f"{out} indexes {old.folder}, not {folder}: choose another --out")
    return old


def _folders(folder: str | os.PathLike, out_dir: str | os.PathLike | None) -> tuple[Path, Path]:
    """The image folder (it must exist) and the index folder (default ``folder/.mmzoo-index``), resolved."""
    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir():
        raise InvalidInput(f"image folder not found: {folder}")
    return folder, (Path(out_dir).expanduser() if out_dir else folder / DEFAULT_DIRNAME).resolve()


class GalleryIndex:
    """An opened index: its manifest, its embeddings, and search over them."""

    def __init__(self, directory: Path, manifest: dict[str, Any], embeddings: np.ndarray) -> None:
        self.directory = directory
        self.manifest = manifest
        self.embeddings = embeddings
        self.files = [FileEntry(**f) for f in manifest["files"]]
        self.changes: Changes | None = None  # set by build()
        self._faiss: Any = None
        self._faiss_lock = threading.Lock()

    # -- what it is ----------------------------------------------------------------------
    @property
    def model_id(self) -> str:
        return self.manifest["model"]

    @property
    def dim(self) -> int:
        return int(self.manifest["dim"])

    @property
    def folder(self) -> Path:
        """The image folder (stored relative to the index, so both can move together)."""
        return (self.directory / self.manifest["folder"]).resolve()

    @property
    def approximate(self) -> dict[str, Any] | None:
        return self.manifest.get("approximate")

    def __len__(self) -> int:
        return len(self.embeddings)

    def path(self, row: int) -> Path:
        return self.folder / self.files[row].path

    def info(self) -> dict[str, Any]:
        size = sum(p.stat().st_size for p in self.directory.iterdir() if p.is_file())
        keys = ("model", "dim", "format", "mmzoo_version", "created", "updated", "complete", "approximate")
        return {"index": str(self.directory), "folder": str(self.folder), "images": len(self),
                **{k: self.manifest.get(k) for k in keys}, "bytes": size}

    def check_model(self, model: Any) -> None:
        """InvalidInput unless ``model`` is the model this index was built with."""
        key = model_key(model)
        if key != self.model_id:
            raise InvalidInput(f"index {self.directory} was built with model {self.model_id}, not {key}: search it "
                               f"with --model {self.model_id} (model={self.model_id!r}), or rebuild it with {key}")

    # -- opening and building --------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike) -> GalleryIndex:
        """Open the index at ``path`` (or in ``path/.mmzoo-index``); recently opened ones are cached."""
        directory = locate(path).resolve()
        for attempt in range(3):  # a build may commit (and clean up) between reading the manifest and the rows
            stamp = _stamp(directory)
            with _cache_lock:
                cached = _cache.get(directory)
                if cached is not None and cached[0] == stamp:
                    _cache.move_to_end(directory)
                    return cached[1]
            try:
                index = _read(directory)
            except FileNotFoundError:
                if attempt == 2:
                    raise
                continue
            _remember(directory, stamp, index)
            return index
        raise AssertionError("unreachable")

    @classmethod
    def from_embeddings(cls, embeddings: np.ndarray, model_id: str = "in-memory") -> GalleryIndex:
        """An index over unit rows already in memory (no files, so no paths): benchmarks, experiments."""
        manifest = {"model": model_id, "dim": int(embeddings.shape[1]), "folder": ".", "files": [],
                    "approximate": None}
        return cls(Path("."), manifest, embeddings)

    @classmethod
    def build(cls, folder: str | os.PathLike, model: ImageEmbedder,
              out_dir: str | os.PathLike | None = None, *, approximate: bool | str | None = None,
              rebuild: bool = False, batch_size: int = BATCH_SIZE, checkpoint_seconds: float = CHECKPOINT_SECONDS,
              progress: bool = False) -> GalleryIndex:
        """Index the images under ``folder`` into ``out_dir`` (default ``folder/.mmzoo-index``).

        An existing index there is updated incrementally: unchanged files (same size and mtime,
        or same sha256) keep their rows, changed ones are re-embedded, deleted ones dropped, new
        ones added. ``model`` is a loaded retrieval model (``mmzoo.load(ID)``); an existing index
        is updated with its own model (``previous(folder).model_id``). ``approximate``: True (HNSW,
        or IVF for over 200k images), "hnsw", "ivf", False (exact only), None (keep the existing choice).
        ``rebuild`` starts over (needed to switch models). The returned index's ``changes`` says
        what was done; unreadable images are listed in ``changes.skipped``, not raised.
        """
        return _Builder(folder, model, out_dir, approximate, rebuild, batch_size, checkpoint_seconds, progress).run()

    def update(self, model: ImageEmbedder, **options: Any) -> GalleryIndex:
        """Bring this index up to date with its folder, with its model (see :meth:`build`)."""
        return GalleryIndex.build(self.folder, model, self.directory, **options)

    # -- searching -------------------------------------------------------------------------
    def search(self, query: np.ndarray, k: int = 5, *, approximate: bool | None = None) -> list[tuple[int, float]]:
        """The ``k`` rows most similar to a unit ``query`` vector: ``[(row, cosine), ...]``, best first.

        Exact (a matrix product) unless ``approximate`` is True, or None and the index was built
        with an approximate (FAISS) index.
        """
        import numpy as np

        vector = np.asarray(query, dtype=np.float32).reshape(-1)
        if vector.shape[0] != self.dim:
            raise InvalidInput(f"query has {vector.shape[0]} dimensions; index {self.directory} has {self.dim}")
        if k < 1:
            raise InvalidInput(f"k must be at least 1, got {k}")
        if len(self) == 0:
            return []
        use_faiss = self.approximate is not None if approximate is None else approximate
        if not use_faiss:
            return self.search_by(lambda rows: rows @ vector, k)
        index, params = self._faiss_index(k)
        scores, rows = index.search(vector[None], min(k, len(self)), params=params)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]

    def search_by(self, score: Callable[[np.ndarray], np.ndarray], k: int = 5) -> list[tuple[int, float]]:
        """The ``k`` best rows by ``score(embeddings)``, one score per row (exact; for multi-vector
        models, whose similarity is not a dot product with one query vector)."""
        import numpy as np

        from .eval.retrieval import top_k

        if k < 1:
            raise InvalidInput(f"k must be at least 1, got {k}")
        if len(self) == 0:
            return []
        scores = np.asarray(score(self.embeddings), dtype=np.float32).reshape(-1)
        return [(int(i), float(scores[i])) for i in top_k(scores, k)]

    def _faiss_index(self, k: int) -> tuple[Any, Any]:
        faiss = import_faiss()
        with self._faiss_lock:
            if self._faiss is None:
                settings = self.approximate
                if settings and settings.get("file"):
                    self._faiss = (faiss.read_index(str(self.directory / settings["file"])), settings)
                else:  # approximate search asked of an exact-only index: build one in memory
                    settings = faiss_settings(auto_kind(len(self)), len(self))
                    self._faiss = (build_faiss(self.embeddings, settings["kind"], settings), settings)
        index, settings = self._faiss
        if settings["kind"] == "hnsw":
            return index, faiss.SearchParametersHNSW(efSearch=max(settings["ef_search"], k))
        return index, faiss.SearchParametersIVF(nprobe=settings["nprobe"])


CACHED_INDEXES = 4
_cache: OrderedDict[Path, tuple[tuple[int, int, int], GalleryIndex]] = OrderedDict()
_cache_lock = threading.Lock()


def _stamp(directory: Path) -> tuple[int, int, int]:
    stat = (directory / MANIFEST).stat()
    return stat.st_ino, stat.st_mtime_ns, stat.st_size  # os.replace gives each commit a new inode


def _remember(directory: Path, stamp: tuple[int, int, int], index: GalleryIndex) -> None:
    with _cache_lock:
        _cache[directory] = (stamp, index)
        _cache.move_to_end(directory)
        while len(_cache) > CACHED_INDEXES:
            _cache.popitem(last=False)


def _read(directory: Path) -> GalleryIndex:
    import numpy as np

    manifest = json.loads((directory / MANIFEST).read_text())
    if manifest.get("format") != FORMAT:
        raise InvalidInput(f"{directory} is an index of format {manifest.get('format')}; this mmzoo reads "
                           f"format {FORMAT}: rebuild it with `mmzoo index build --rebuild`")
    return GalleryIndex(directory, manifest, np.load(directory / manifest["embeddings"]))


# -- FAISS ---------------------------------------------------------------------------------


def import_faiss() -> Any:
    try:
        import faiss
    except ImportError:
        raise MissingDependency(FAISS_HINT) from None
    return faiss


def auto_kind(rows: int) -> str:
    return "hnsw" if rows <= HNSW_MAX_ROWS else "ivf"


def faiss_settings(kind: str, rows: int) -> dict[str, Any]:
    if kind == "hnsw":
        return {"kind": "hnsw", "M": 32, "ef_construction": 64, "ef_search": 128}
    nlist = max(1, min(int(4 * math.sqrt(rows)), rows // 39))  # FAISS wants ~39+ training points per list
    return {"kind": "ivf", "nlist": nlist, "nprobe": min(nlist, 32)}


def build_faiss(vectors: np.ndarray, kind: str, settings: dict[str, Any] | None = None) -> Any:
    """A FAISS inner-product index over unit ``vectors``: HNSW (graph) or IVF-Flat (trained on a sample)."""
    import numpy as np

    faiss = import_faiss()
    settings = settings or faiss_settings(kind, len(vectors))
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, settings["M"], faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = settings["ef_construction"]
    else:
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, settings["nlist"], faiss.METRIC_INNER_PRODUCT)
        sample = min(len(vectors), settings["nlist"] * 64)
        rows = np.random.default_rng(0).choice(len(vectors), sample, replace=False)
        index.train(vectors[np.sort(rows)])
    index.add(vectors)
    return index


# -- building ------------------------------------------------------------------------------


def scan(folder: Path, exclude: Path | None = None) -> Iterator[tuple[str, os.stat_result]]:
    """Image files under ``folder`` (recursive, sorted; hidden files and folders skipped)."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (exclude is None or Path(root, d) != exclude))
        for name in sorted(files):
            if name.startswith(".") or Path(name).suffix.lower() not in IMAGE_SUFFIXES:
                continue
            path = Path(root, name)
            try:
                stat = path.stat()
            except OSError:  # a broken link: nothing to index
                continue
            yield path.relative_to(folder).as_posix(), stat


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """Call ``write(temp_path)``, then move the temp file onto ``path`` in one step."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    os.close(fd)
    try:
        write(temp)
        with open(temp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class _Builder:
    """One run of :meth:`GalleryIndex.build`."""

    def __init__(self, folder: str | os.PathLike, model: Any, out_dir: str | os.PathLike | None,
                 approximate: bool | str | None, rebuild: bool, batch_size: int, checkpoint_seconds: float,
                 progress: bool) -> None:
        self.folder, self.out = _folders(folder, out_dir)
        if batch_size < 1:
            raise InvalidInput(f"batch size must be at least 1, got {batch_size}")
        self.batch_size, self.checkpoint_seconds, self.progress = batch_size, checkpoint_seconds, progress
        self.old = None if rebuild else previous(self.folder, self.out)
        self.model = self._model(model)
        self.kind = self._kind(approximate)
        self.changes = Changes()

    def _model(self, model: Any) -> Any:
        if isinstance(model, (str, os.PathLike)) or model is None:
            raise InvalidInput(f"give a loaded model, e.g. mmzoo.load({model or 'MODEL_ID'!r}), not {model!r}")
        if not callable(getattr(model, "embed_images", None)):
            raise InvalidInput(f"model {model_key(model)} is not a retrieval model (it cannot embed images)")
        if self.old is not None and model_key(model) != self.old.model_id:
            raise InvalidInput(f"{self.out} was built with model {self.old.model_id}, not {model_key(model)}: "
                               f"update it with --model {self.old.model_id}, or start over with --rebuild")
        return model

    def _kind(self, approximate: bool | str | None) -> str | None:
        if approximate not in (None, False) and not getattr(self.model, "single_vector", True):
            raise InvalidInput(f"model {model_key(self.model)} compares words with image regions (no single vector "
                               "per image): its index is searched exactly; build it without --approximate")
        if approximate is None:
            previous = self.old.approximate if self.old else None
            return previous.get("requested", previous["kind"]) if previous else None
        if approximate is True or approximate == "auto":
            return "auto"
        if approximate is False:
            return None
        if approximate not in APPROXIMATE_KINDS:
            raise InvalidInput(f"approximate must be True, False, 'hnsw' or 'ivf', got {approximate!r}")
        import_faiss()  # fail before embedding anything
        return approximate

    # -- the build -------------------------------------------------------------------------
    def run(self) -> GalleryIndex:
        import numpy as np

        if self.kind is not None:
            import_faiss()
        start = time.perf_counter()
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InvalidInput(f"cannot create the index folder {self.out} ({exc.strerror}): "
                               "choose one with --out") from None
        entries, vectors, todo = self._plan()
        self.dim = self.old.dim if self.old and len(self.old) else None
        self.last_commit = time.perf_counter()
        from tqdm import tqdm

        with tqdm(total=len(todo), desc="embedding", unit="image", disable=not self.progress, leave=False) as bar:
            for i in range(0, len(todo), self.batch_size):
                batch = todo[i:i + self.batch_size]
                done = self._embed(batch)
                for (entry, kind), vector in done:
                    entries.append(entry)
                    vectors.append(vector)
                    (self.changes.added if kind == "added" else self.changes.updated).append(entry.path)
                bar.update(len(batch))
                if time.perf_counter() - self.last_commit > self.checkpoint_seconds and i + len(batch) < len(todo):
                    self._commit(entries, vectors, complete=False)
        matrix = np.stack(vectors).astype(np.float32) if vectors else np.zeros((0, self.dim or 0), np.float32)
        index = self._commit(entries, matrix, complete=True)
        self.changes.seconds = time.perf_counter() - start
        index.changes = self.changes
        return index

    def _plan(self) -> tuple[list[FileEntry], list[np.ndarray], list[tuple[FileEntry, str]]]:
        """Keep unchanged rows, reuse rows of moved/copied files, and list what must be embedded."""
        old_files = {e.path: (i, e) for i, e in enumerate(self.old.files)} if self.old else {}
        by_hash = {e.sha256: i for i, e in enumerate(self.old.files)} if self.old else {}
        entries: list[FileEntry] = []
        vectors: list[np.ndarray] = []
        todo: list[tuple[FileEntry, str]] = []
        seen = set()
        for rel, stat in scan(self.folder, exclude=self.out):
            seen.add(rel)
            row, before = old_files.get(rel, (None, None))
            if before is not None and (before.size, before.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
                entries.append(before)
                vectors.append(self.old.embeddings[row])
                self.changes.unchanged += 1
                continue
            try:
                digest = sha256(self.folder / rel)
            except OSError as exc:
                self.changes.skipped.append((rel, f"cannot read it ({exc.strerror})"))
                continue
            entry = FileEntry(rel, stat.st_size, stat.st_mtime_ns, digest)
            kind = "added" if before is None else "updated"
            if before is not None and before.sha256 == digest:  # touched, not changed
                entries.append(entry)
                vectors.append(self.old.embeddings[row])
                self.changes.unchanged += 1
            elif digest in by_hash:  # moved or copied: the same bytes embed the same
                entries.append(entry)
                vectors.append(self.old.embeddings[by_hash[digest]])
                (self.changes.added if kind == "added" else self.changes.updated).append(rel)
            else:
                todo.append((entry, kind))
        self.changes.removed = sorted(set(old_files) - seen)
        return entries, vectors, todo

    def _embed(self, batch: list[tuple[FileEntry, str]]) -> list[tuple[tuple[FileEntry, str], np.ndarray]]:
        import numpy as np

        from .media import load_image

        readable, images = [], []
        for item in batch:
            try:
                images.append(load_image(self.folder / item[0].path))
                readable.append(item)
            except InvalidInput as exc:
                self.changes.skipped.append((item[0].path, str(exc)))
                log.info("skipped %s: %s", item[0].path, exc)
        if not images:
            return []
        vectors = np.asarray(self.model.embed_images(images), dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(images):
            raise InvalidInput(f"{model_key(self.model)} returned embeddings of shape {vectors.shape} "
                               f"for {len(images)} images; expected ({len(images)}, D)")
        if self.dim is None:
            self.dim = vectors.shape[1]
        elif vectors.shape[1] != self.dim:
            raise InvalidInput(f"{model_key(self.model)} now embeds into {vectors.shape[1]} dimensions, the index "
                               f"holds {self.dim}: start over with --rebuild")
        if getattr(self.model, "single_vector", True):  # a multi-vector row is the model's own: kept as it is
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        self.changes.embedded += len(images)
        return list(zip(readable, vectors))

    def _commit(self, entries: list[FileEntry], vectors: Any, complete: bool) -> GalleryIndex:
        """Write embeddings (and the FAISS index), then the manifest naming them; drop stale files."""
        import numpy as np

        matrix = np.asarray(np.stack(vectors) if isinstance(vectors, list) and vectors else vectors, np.float32)
        if matrix.size == 0:
            matrix = np.zeros((0, self.dim or 0), np.float32)
        token = secrets.token_hex(6)
        embeddings_name = f"embeddings-{token}.npy"
        _atomic_write(self.out / embeddings_name, lambda temp: np.save(temp, matrix))
        approximate = faiss_index = None
        if complete and self.kind is not None and len(matrix):
            kind = auto_kind(len(matrix)) if self.kind == "auto" else self.kind
            approximate = {**faiss_settings(kind, len(matrix)), "requested": self.kind, "file": f"faiss-{token}.index"}
            faiss_index = build_faiss(matrix, kind, approximate)
            _atomic_write(self.out / approximate["file"], lambda temp: import_faiss().write_index(faiss_index, temp))
        manifest = {
            "format": FORMAT, "mmzoo_version": __version__, "model": model_key(self.model),
            "dim": int(matrix.shape[1]) if matrix.ndim == 2 else self.dim,
            "folder": os.path.relpath(self.folder, self.out),
            "created": self.old.manifest["created"] if self.old else _now(), "updated": _now(),
            "complete": complete, "embeddings": embeddings_name, "approximate": approximate,
            "files": [asdict(e) for e in entries],
        }
        text = json.dumps(manifest, indent=1)
        _atomic_write(self.out / MANIFEST, lambda temp: Path(temp).write_text(text))
        keep = {MANIFEST, embeddings_name, approximate["file"] if approximate else None}
        for path in self.out.iterdir():
            if path.name not in keep and (path.name.startswith(("embeddings-", "faiss-", ".tmp-"))):
                path.unlink(missing_ok=True)
        self.last_commit = time.perf_counter()
        index = GalleryIndex(self.out, manifest, matrix)
        if faiss_index is not None:
            index._faiss = (faiss_index, approximate)
        _remember(self.out, _stamp(self.out), index)  # the next open() needs no read
        return index
