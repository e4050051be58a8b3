"""Where a Stable Diffusion pipeline's files come from, and what to say when they cannot.

A pipeline always loads from one folder in ``save_pretrained`` layout: ``model_index.json`` plus one
folder per component (``unet/``, ``vae/``, ``text_encoder/``, ``tokenizer/``, ``scheduler/``, and
``safety_checker/`` + ``feature_extractor/`` where the repository ships them). That folder is either
the ``weights=`` a user gives or the Hugging Face cache's snapshot of the pinned revision, fetched on
first use or by ``mmzoo download``: so the hub id and a local folder take the same loading path.

Only safetensors are fetched and loaded, and only the fp32 files: ``name.safetensors``, never a
variant such as ``name.fp16.safetensors`` or ``name.non_ema.safetensors``, nor the single-file
checkpoints some repositories keep at the top (``v1-5-pruned.safetensors``, 7 GB).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from mmzoo.errors import WeightsUnavailable
from mmzoo.weights import first_line, unreachable, weights_unavailable

from .catalog import CATALOG

LOCAL = "folder written by pipeline.save_pretrained: model_index.json and one folder per component"
SUPPORT = (".json", ".txt", ".model")  # configs, tokenizer vocabularies and merges, sentencepiece models
SAFETENSORS = ".safetensors"


def locate(model_id: str, weights: str | os.PathLike | None) -> Path:
    """The folder to load: ``weights`` as given, else the cached snapshot of the pinned revision."""
    if weights is None:
        hub = CATALOG[model_id]
        return fetch(model_id, hub.repo, hub.revision)
    folder = Path(weights).expanduser()
    if not folder.is_dir():
        raise WeightsUnavailable(f"{model_id}: weights folder {folder} does not exist (weights= takes a {LOCAL})")
    missing = incomplete(folder)
    if missing:
        raise WeightsUnavailable(f"{model_id}: {folder} lacks {', '.join(missing)} (weights= takes a {LOCAL}; "
                                 f"only safetensors weights load)")
    return folder


def fetch(model_id: str, repo: str, revision: str) -> Path:
    """The cache's snapshot of ``repo@revision``; what it lacks is downloaded first (fp32 safetensors)."""
    from huggingface_hub import snapshot_download

    try:  # cached: no network call at all, whatever HF_HUB_OFFLINE says
        folder = Path(snapshot_download(repo, revision=revision, local_files_only=True))
        if not incomplete(folder):
            return folder
    except Exception:  # huggingface_hub raises several error types for "not in the cache"
        pass
    reason = unreachable()  # a few seconds, where the hub library's retries on a dead network take a minute
    if reason:
        raise unavailable(model_id, reason)
    try:
        folder = Path(snapshot_download(repo, revision=revision, allow_patterns=pipeline_files(repo, revision)))
    except Exception as exc:  # no network, no such repo or revision, disk full, ...
        raise unavailable(model_id, first_line(exc)) from None
    missing = incomplete(folder)
    if missing:
        raise WeightsUnavailable(f"{model_id}: {repo}@{revision} has no {', '.join(missing)} "
                                 f"(only safetensors weights are fetched and loaded)")
    return folder


def pipeline_files(repo: str, revision: str) -> list[str]:
    """The files of ``repo@revision`` a pipeline loads: model_index.json, and in each component folder it
    names, the configs, tokenizer files and fp32 safetensors."""
    from huggingface_hub import HfApi, hf_hub_download

    index = json.loads(Path(hf_hub_download(repo, "model_index.json", revision=revision)).read_text())
    folders = set(components(index))
    return ["model_index.json"] + [name for name in HfApi().list_repo_files(repo, revision=revision)
                                   if name.count("/") == 1 and name.split("/")[0] in folders and wanted(name)]


def wanted(name: str) -> bool:
    """A support file, or fp32 safetensors (``diffusion_pytorch_model.safetensors``, or a shard of them)."""
    base = name.rsplit("/", 1)[-1]
    if base.endswith(SAFETENSORS):
        return "." not in base[:-len(SAFETENSORS)]  # no variant infix such as ".fp16"
    return base.endswith(SUPPORT)


def components(index: dict) -> list[str]:
    """The component folders a ``model_index.json`` names (``[null, null]`` entries are absent ones)."""
    return [name for name, value in index.items()
            if not name.startswith("_") and isinstance(value, list) and len(value) == 2 and value[0]]


def incomplete(folder: Path) -> list[str]:
    """What a pipeline folder lacks: model_index.json, a config of each component it names, and the
    safetensors weights of each model component (one with a config.json)."""
    try:
        index = json.loads((folder / "model_index.json").read_text())
    except (OSError, ValueError):
        return ["model_index.json"]
    missing = []
    for name in components(index):
        files = [f.name for f in (folder / name).iterdir()] if (folder / name).is_dir() else []
        if not any(f.endswith(".json") for f in files):
            missing.append(f"{name}/ (its config)")
        elif "config.json" in files and not any(wanted(f"{name}/{f}") and f.endswith(SAFETENSORS) for f in files):
            missing.append(f"{name}/*.safetensors")
    return missing


def size_mb(folder: Path) -> float:
    """Megabytes of the files in a snapshot (the cache's symlinks followed)."""
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


def unavailable(model_id: str, reason: str) -> WeightsUnavailable:
    hub = CATALOG[model_id]
    return weights_unavailable(model_id, f"{hub.repo} at revision {hub.revision}", reason, size_mb=hub.size_mb,
                               local=LOCAL)
