"""Matchmaps and the similarities pooled from them (Harwath et al., 2018).

The matchmap of an image grid ``I`` (dim x H x W) and a sequence ``A`` (dim x T: audio frames, or
the words of a text) is ``M[r, c, t] = I[:, r, c] . A[:, t]``: how well each image region matches
each moment of speech (each word). An image-caption similarity pools it:

- ``sisa`` (sum image, sum audio): the mean of ``M`` over regions and frames;
- ``misa`` (max image, sum audio): for each frame its best region, averaged over frames;
- ``sima`` (sum image, max audio): for each region its best frame, averaged over regions.

Frames past an utterance's length (batch padding) never count. Used by the spoken-caption matcher
(mmzoo-davenet) and the region-level text-image dual encoder (mmzoo-bert-resnet); imports torch.
"""

from __future__ import annotations

import torch

SIMILARITIES = ("sisa", "misa", "sima")


def matchmap(image: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:
    """(dim, H, W) and (dim, T) -> (H, W, T)."""
    return torch.einsum("dhw,dt->hwt", image, audio)


def pairwise_similarity(images: torch.Tensor, audios: torch.Tensor, lengths: torch.Tensor | None = None,
                        kind: str = "misa") -> torch.Tensor:
    """(B, dim, H, W) images and (A, dim, T) audios (``lengths`` frames each) -> (B, A) similarities."""
    if kind not in SIMILARITIES:
        raise ValueError(f"similarity must be one of {', '.join(SIMILARITIES)}, got {kind!r}")
    steps = audios.shape[2]
    lengths = torch.full((audios.shape[0],), steps, device=audios.device) if lengths is None else lengths.to(audios.device)
    real = torch.arange(steps, device=audios.device)[None, :] < lengths[:, None]  # (A, T)
    maps = torch.einsum("bdhw,adt->bahwt", images, audios).flatten(2, 3)  # (B, A, regions, T)
    frames = lengths.clamp(min=1).to(maps.dtype)[None, :]
    if kind == "sisa":
        return (maps.mean(dim=2) * real).sum(dim=2) / frames
    if kind == "misa":
        return (maps.max(dim=2).values * real).sum(dim=2) / frames
    return maps.masked_fill(~real[None, :, None, :], torch.finfo(maps.dtype).min).max(dim=3).values.mean(dim=2)
