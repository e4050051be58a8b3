"""Checkpoint folders, the one format every trained model of mmzoo uses.

A checkpoint is a folder: ``config.json`` (the model's settings), ``model.safetensors`` (its
tensors) and optional JSON side files (a vocabulary, an answer list). Training state (optimizer,
scheduler) is saved with ``torch.save`` of plain tensors and read back with
``torch.load(weights_only=True)``: nothing that can run code is ever unpickled.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields, is_dataclass
from pathlib import Path
from typing import Any, Iterable, TypeVar

from ..errors import WeightsUnavailable

CONFIG = "config.json"
WEIGHTS = "model.safetensors"
C = TypeVar("C")


def save_checkpoint(folder: str | Path, module: Any, config: Any, *, files: dict[str, Any] | None = None,
                    weights: str = WEIGHTS, skip: Iterable[str] = ()) -> Path:
    """Write ``config`` (a dataclass or dict), the module's state dict (or a dict of tensors) and JSON
    side files into ``folder``. Tensors whose names start with a prefix in ``skip`` are left out
    (e.g. a frozen tower stored by reference)."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    values = asdict(config) if is_dataclass(config) else dict(config)
    (folder / CONFIG).write_text(json.dumps(values, indent=2) + "\n")
    state = module.state_dict() if hasattr(module, "state_dict") else module
    prefixes = tuple(skip)
    save_file({k: v.detach().cpu().contiguous() for k, v in state.items()
               if not (prefixes and k.startswith(prefixes))}, folder / weights)
    for name, value in (files or {}).items():
        (folder / name).write_text(json.dumps(value, indent=0) + "\n")
    return folder


def read_config(folder: str | Path, config_class: type[C] | None = None) -> C | dict[str, Any]:
    """The checkpoint's settings: a dict, or ``config_class`` built from the keys it knows."""
    path = Path(folder) / CONFIG
    if not path.is_file():
        raise WeightsUnavailable(f"no checkpoint in {folder}: {CONFIG} is missing")
    values = json.loads(path.read_text())
    if config_class is None:
        return values
    known = {f.name for f in fields(config_class)}  # type: ignore[arg-type]
    return config_class(**{k: v for k, v in values.items() if k in known})


def read_weights(folder: str | Path, weights: str = WEIGHTS, device: str = "cpu") -> dict[str, Any]:
    """The checkpoint's tensors (safetensors only)."""
    from safetensors.torch import load_file

    path = Path(folder) / weights
    if not path.is_file():
        raise WeightsUnavailable(f"no checkpoint in {folder}: {weights} is missing")
    return load_file(path, device=str(device))


def load_weights(folder: str | Path, module: Any, *, weights: str = WEIGHTS, strict: bool = True) -> None:
    """Load the checkpoint's tensors into ``module`` (on the device its parameters are on)."""
    device = next(iter(module.state_dict().values())).device if module.state_dict() else "cpu"
    module.load_state_dict(read_weights(folder, weights, device), strict=strict)


def save_state(path: str | Path, state: dict[str, Any]) -> None:
    """Training state (an optimizer's or scheduler's ``state_dict()``), tensors and plain values only."""
    import torch

    torch.save(state, path)


def load_state(path: str | Path, device: Any = "cpu") -> dict[str, Any]:
    """Read :func:`save_state`'s file with ``weights_only=True`` (refuses pickled code)."""
    import torch

    return torch.load(path, weights_only=True, map_location=device)
