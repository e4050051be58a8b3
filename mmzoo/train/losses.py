"""Losses: a joint embedding space (image-text, audio-image) and attention that follows the diagonal.

``similarity[i, j]`` is the cosine similarity of anchor ``i`` (e.g. image) and item ``j`` (e.g.
caption) in a batch whose positives are on the diagonal. ``same`` marks other pairs that are
positives too (e.g. two captions of one image in the batch): they are never used as negatives.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

NEGATIVES = ("all", "sampled", "hardest", "semi-hard")


def _negative_mask(similarity: torch.Tensor, same: torch.Tensor | None) -> torch.Tensor:
    mask = ~torch.eye(similarity.shape[0], dtype=torch.bool, device=similarity.device)
    return mask if same is None else mask & ~same


def _one_direction(similarity: torch.Tensor, margin: float, negatives: str, usable: torch.Tensor) -> torch.Tensor:
    """Hinge costs with each row's diagonal item as the positive; mean over rows."""
    positive = similarity.diagonal().unsqueeze(1)
    cost = (margin + similarity - positive).clamp(min=0) * usable
    if negatives == "all":  # VSE0: every negative counts
        return cost.sum(dim=1).mean()
    if negatives == "sampled":  # DAVEnet's sampled imposters: one random negative per anchor
        draw = torch.rand_like(similarity).masked_fill(~usable, -1.0)
        return cost.gather(1, draw.argmax(dim=1, keepdim=True)).mean()
    if negatives == "hardest":  # VSE++ (Faghri et al., 2018): only the hardest negative
        return cost.max(dim=1).values.mean()
    # Semi-hard (Schroff et al., 2015): the hardest negative still less similar than the positive;
    # where a row has none, its least similar negative (the convention of TensorFlow's semi-hard loss).
    below = usable & (similarity < positive)
    neg_inf, pos_inf = torch.finfo(similarity.dtype).min, torch.finfo(similarity.dtype).max
    semi_hard = similarity.masked_fill(~below, neg_inf).max(dim=1).values
    easiest = similarity.masked_fill(~usable, pos_inf).min(dim=1).values
    chosen = torch.where(below.any(dim=1), semi_hard, easiest)
    return (margin + chosen - positive.squeeze(1)).clamp(min=0).mean()


def triplet_loss(similarity: torch.Tensor, margin: float = 0.2, negatives: str = "hardest",
                 same: torch.Tensor | None = None) -> torch.Tensor:
    """Bidirectional hinge triplet loss (anchor rows vs item negatives, and item columns vs anchor negatives)."""
    if negatives not in NEGATIVES:
        raise ValueError(f"negatives must be one of {', '.join(NEGATIVES)}, got {negatives!r}")
    if similarity.ndim != 2 or similarity.shape[0] != similarity.shape[1]:
        raise ValueError(f"similarity must be a square (batch, batch) matrix, got {tuple(similarity.shape)}")
    usable = _negative_mask(similarity, same)
    return (_one_direction(similarity, margin, negatives, usable)
            + _one_direction(similarity.t(), margin, negatives, usable.t()))


def info_nce(similarity: torch.Tensor, temperature: float = 0.07, same: torch.Tensor | None = None) -> torch.Tensor:
    """Symmetric InfoNCE (CLIP): cross-entropy of each row and column against its diagonal."""
    logits = similarity / temperature
    if same is not None:  # other positives are neither negatives nor targets
        logits = logits.masked_fill(same & ~torch.eye(len(logits), dtype=torch.bool, device=logits.device),
                                    torch.finfo(logits.dtype).min)
    targets = torch.arange(len(logits), device=logits.device)
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.t(), targets)) / 2


def guided_attention_loss(alignments: torch.Tensor, input_lengths: torch.Tensor, output_lengths: torch.Tensor,
                          sigma: float = 0.2) -> torch.Tensor:
    """Guided attention loss (Tachibana et al., 2018): attention far from the diagonal costs.

    ``alignments`` is (batch, output steps, input symbols), each row a distribution over the inputs;
    the weight of step ``t`` on symbol ``n`` is ``1 - exp(-(n/N - t/T)^2 / (2 sigma^2))`` for an
    utterance of ``N`` symbols and ``T`` steps. The loss is the mean over real steps (padding left
    out) of each step's weighted attention: 0 on the diagonal, near 1 far from it, whatever ``N``.
    """
    batch, steps, symbols = alignments.shape
    device = alignments.device
    n_in = input_lengths.to(device).float().clamp(min=1)[:, None, None]
    n_out = output_lengths.to(device).float().clamp(min=1)[:, None, None]
    t = torch.arange(steps, device=device, dtype=torch.float32)[None, :, None]
    n = torch.arange(symbols, device=device, dtype=torch.float32)[None, None, :]
    weight = 1 - torch.exp(-((n / n_in - t / n_out) ** 2) / (2 * sigma ** 2))
    real = (t < n_out) & (n < n_in)
    return (alignments.float() * weight * real).sum() / (t < n_out).expand(batch, steps, 1).sum().clamp(min=1)
