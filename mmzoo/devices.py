"""Device names for plugins that run torch models (torch is imported only when a model asks)."""

from __future__ import annotations

from .errors import InvalidInput


def resolve_device(device: str | None) -> str:
    """``None`` -> ``"cuda"`` when torch sees a GPU, else ``"cpu"``; a named device is checked."""
    import torch

    if device is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        kind = torch.device(device).type
    except RuntimeError:
        raise InvalidInput(f"unknown device {device!r}; use 'cpu', 'cuda', 'cuda:1', 'mps', ...") from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise InvalidInput(f"device {device!r} asked for, but torch sees no CUDA GPU; use device='cpu'")
    return str(device)
