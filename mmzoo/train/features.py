"""Features of frozen towers, computed once per run instead of once per epoch."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import torch


def is_frozen(module: torch.nn.Module) -> bool:
    """True when no parameter of ``module`` trains (so its outputs are the same every epoch)."""
    return not any(p.requires_grad for p in module.parameters())


@torch.no_grad()
def precompute(encode: Callable[[Any], torch.Tensor | tuple[torch.Tensor, ...]], inputs: Sequence[Any] | torch.Tensor,
               batch_size: int = 128, progress: bool = False, desc: str = "features") -> Any:
    """``encode`` over ``inputs`` in chunks of ``batch_size``, concatenated (a tensor, or a tuple of
    tensors when ``encode`` returns tuples). Run it once before training and index the result in
    each batch; call it with the tower in eval mode."""
    from tqdm import tqdm

    chunks = [encode(inputs[s:s + batch_size])
              for s in tqdm(range(0, len(inputs), batch_size), desc=desc, disable=not progress, leave=False)]
    if not chunks:
        raise ValueError("no inputs to compute features of")
    if isinstance(chunks[0], tuple):
        return tuple(torch.cat(parts) for parts in zip(*chunks))
    return torch.cat(chunks)
