"""Checkpoints as a folder: ``config.json`` + ``model.safetensors`` (+ JSON side files); safetensors only."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, TypeVar

from mmzoo.errors import WeightsUnavailable

C = TypeVar("C")


def save_folder(folder: str | Path, module: Any, config: Any, extra: dict[str, Any] | None = None) -> Path:
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(asdict(config), indent=2) + "\n")
    save_file({k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}, folder / "model.safetensors")
    for name, value in (extra or {}).items():
        (folder / name).write_text(json.dumps(value, indent=0) + "\n")
    return folder


def read_config(folder: str | Path, config_class: type[C]) -> C:
    path = Path(folder) / "config.json"
    if not path.is_file():
        raise WeightsUnavailable(f"no checkpoint in {folder}: config.json is missing")
    values = json.loads(path.read_text())
    known = {f.name for f in fields(config_class)}
    return config_class(**{k: v for k, v in values.items() if k in known})


def load_state(folder: str | Path, module: Any) -> None:
    from safetensors.torch import load_file

    path = Path(folder) / "model.safetensors"
    if not path.is_file():
        raise WeightsUnavailable(f"no checkpoint in {folder}: model.safetensors is missing")
    module.load_state_dict(load_file(path))
