"""Where a model's files come from, how they load, and what to say when they cannot.

Every model loads from one folder in ``save_pretrained`` layout (config, weights, processor and
tokenizer files) through the model classes' own ``from_pretrained``: either the ``weights=`` folder
a user gives, or the Hugging Face cache's snapshot of the pinned hub revision (fetched on first use
or by ``mmzoo download``). The hub id and a local folder thus take the very same loading path, and
what is loaded is decided here: safetensors when the folder has them, else a pickled
``pytorch_model.bin`` read with ``torch.load(weights_only=True)`` (tensors only, no code), never
``trust_remote_code``.
"""

from __future__ import annotations

import inspect
import os
import pickle
from pathlib import Path
from typing import Any

import mmzoo
from mmzoo.devices import resolve_device
from mmzoo.errors import InvalidInput, WeightsUnavailable
from mmzoo.tasks.base import Model
from mmzoo.weights import download_fix, first_line, unreachable, weights_unavailable

from .catalog import CATALOG

SAFE_WEIGHTS = ("model.safetensors", "model.safetensors.index.json")
PICKLED_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json")
# Everything but weights: configs, processor and tokenizer files (vocab.txt, merges.txt, sentencepiece).
SUPPORT_FILES = ["*.json", "*.txt", "*.model"]
LOCAL = "folder written by save_pretrained with the model and its processor"  # what weights= takes
DTYPES = {"float32": "float32", "fp32": "float32", "float16": "float16", "fp16": "float16", "half": "float16",
          "bfloat16": "bfloat16", "bf16": "bfloat16"}


class TransformersModel(Model):
    """Shared loading for the plugin's models; subclasses set ``model_id`` and implement :meth:`_load`."""

    model_id: str  # the mmzoo id: its hub repository and revision come from the catalog

    def __init__(self, *, weights: str | os.PathLike | None = None, device: str | None = None,
                 dtype: str | None = None) -> None:
        import torch

        self.device = resolve_device(device)
        self.dtype = getattr(torch, _dtype(dtype))
        folder = locate(self.model_id, weights)
        try:
            self._load(folder)
        except pickle.UnpicklingError as exc:  # torch.load(weights_only=True) met more than tensors
            raise InvalidInput(f"{self.model_id}: refusing to load {weights_file(folder)}: it holds more than "
                               f"tensors ({first_line(exc)[:80]}...); convert it to safetensors") from None
        except (OSError, ValueError, KeyError) as exc:
            # A partial snapshot or a folder holding another kind of model: name the folder and the cause.
            raise WeightsUnavailable(f"{self.model_id}: cannot load {folder}: {first_line(exc)}; "
                                     f"{download_fix(self.model_id, _size(self.model_id), LOCAL)}") from None
        self._model.to(device=self.device, dtype=self.dtype).eval()

    def _load(self, folder: Path) -> None:  # pragma: no cover - abstract
        """Set ``self._model`` (and processors) from ``folder`` using :func:`load_weights`."""
        raise NotImplementedError

    def _inputs(self, batch: Any) -> Any:
        """Move a processor's output to the model's device, pixels to its dtype."""
        batch = batch.to(self.device)
        if "pixel_values" in batch:
            batch["pixel_values"] = batch["pixel_values"].to(self.dtype)
        return batch

    @classmethod
    def download(cls, spec: mmzoo.ModelSpec) -> str:
        """Fetch the pinned revision into the Hugging Face cache (``mmzoo download MODEL``)."""
        folder = fetch(spec.id, spec.weights.repo, spec.weights.revision)
        return f"{spec.id}: {spec.weights.repo}@{spec.weights.revision} cached at {folder}"

    def close(self) -> None:
        self._model = None
        if self.device.startswith("cuda"):
            import torch

            torch.cuda.empty_cache()


# -- finding the folder ---------------------------------------------------------------------------


def locate(model_id: str, weights: str | os.PathLike | None) -> Path:
    """The folder to load: ``weights`` as given, else the cached snapshot of the pinned revision."""
    if weights is not None:
        folder = Path(weights).expanduser()
        if not folder.is_dir():
            raise WeightsUnavailable(f"{model_id}: weights folder {folder} does not exist (weights= takes a folder "
                                     f"written by save_pretrained: config, model.safetensors, processor files)")
        return folder
    hub = CATALOG[model_id]
    return fetch(model_id, hub.repo, hub.revision)


def fetch(model_id: str, repo: str, revision: str) -> Path:
    """The cache's snapshot of ``repo@revision``, downloading config, processor files and ONE weights
    format (safetensors when the revision has them) unless a complete snapshot is cached already."""
    from huggingface_hub import HfApi, snapshot_download

    try:  # cached: no network call at all, whatever HF_HUB_OFFLINE says
        folder = Path(snapshot_download(repo, revision=revision, local_files_only=True))
        if weights_file(folder):
            return folder
    except Exception:  # huggingface_hub raises several error types for "not in the cache"
        pass
    reason = unreachable()  # seconds, where the hub library's retries on a dead network take most of a minute
    if reason:
        raise unavailable(model_id, repo, revision, reason)
    try:
        files = HfApi().list_repo_files(repo, revision=revision)
        safe = [f for f in files if f.endswith(".safetensors") or f.endswith(".safetensors.index.json")]
        chosen = safe or [f for f in files if f in PICKLED_WEIGHTS or f.startswith("pytorch_model-")]
        if not chosen:
            raise WeightsUnavailable(f"{model_id}: {repo}@{revision} has neither safetensors nor pytorch_model.bin "
                                     f"weights (TensorFlow/Flax weights are not loaded)")
        return Path(snapshot_download(repo, revision=revision, allow_patterns=SUPPORT_FILES + chosen))
    except WeightsUnavailable:
        raise
    except Exception as exc:  # no network, no such repo or revision, disk full, ...
        raise unavailable(model_id, repo, revision, first_line(exc)) from None


def weights_file(folder: Path) -> Path | None:
    for name in SAFE_WEIGHTS + PICKLED_WEIGHTS:
        if (folder / name).is_file():
            return folder / name
    return None


# -- loading -------------------------------------------------------------------------------------


def load_weights(model_class: Any, folder: Path, **kwargs: Any) -> Any:
    """``model_class.from_pretrained(folder)`` reading safetensors, or a pickle weights-only."""
    found = weights_file(folder)
    if found is None:
        raise WeightsUnavailable(f"{folder} has no weights file (expected model.safetensors, written by "
                                 f"save_pretrained)")
    if found.name in SAFE_WEIGHTS:
        kwargs["use_safetensors"] = True
    else:
        kwargs["use_safetensors"] = False
        # transformers >= 4.37 already unpickles weights-only; say so explicitly where it takes the flag.
        if "weights_only" in inspect.signature(model_class.from_pretrained).parameters:
            kwargs["weights_only"] = True
    return model_class.from_pretrained(folder, **kwargs)


# -- errors and options --------------------------------------------------------------------------


def unavailable(model_id: str, repo: str, revision: str, reason: str) -> WeightsUnavailable:
    return weights_unavailable(model_id, f"{repo} at revision {revision}", reason, size_mb=_size(model_id),
                               local=LOCAL)


def _size(model_id: str) -> float | None:
    hub = CATALOG.get(model_id)
    return hub.size_mb if hub else None


def _dtype(dtype: Any) -> str:
    if dtype is None:
        return "float32"
    name = str(dtype).removeprefix("torch.")  # torch.float16 as well as "float16"
    if name not in DTYPES:
        raise InvalidInput(f"unsupported dtype {dtype!r}; use one of {', '.join(DTYPES)}")
    return DTYPES[name]


def positive(name: str, value: Any) -> int:
    """An option that must be a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(f"{name} must be a whole number >= 1, got {value!r}")
    return value
