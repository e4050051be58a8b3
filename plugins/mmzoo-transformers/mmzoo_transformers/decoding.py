"""One ``generate()`` call for a whole batch, with a score for every returned sequence."""

from __future__ import annotations

from typing import Any, Callable, Iterable


def generate_with_scores(generate: Callable[..., Any], inputs: dict[str, Any], *, eos_ids: Iterable[int],
                         num_beams: int, num_return: int, max_new_tokens: int,
                         length_penalty: float) -> tuple[Any, list[float]]:
    """Greedy (``num_beams == 1``) or beam search; returns ``(sequences, scores)`` with ``num_return``
    consecutive rows per input, best first.

    A score is ``sum of token log-probabilities / generated_length ** length_penalty``: beam search's
    own ranking score, computed the same way for greedy decoding so both mean the same thing
    (``length_penalty=1``: mean log-probability per token; ``0``: the sequence's log-probability).
    """
    import torch

    # Beam-only settings are passed to beam search only: transformers warns about them otherwise.
    beam = {"length_penalty": length_penalty, "early_stopping": True} if num_beams > 1 else {}
    with torch.inference_mode():
        out = generate(**inputs, num_beams=num_beams, num_return_sequences=num_return, do_sample=False,
                       max_new_tokens=max_new_tokens, output_scores=True, return_dict_in_generate=True, **beam)
    if num_beams > 1:
        return out.sequences, out.sequences_scores.float().tolist()
    return out.sequences, _greedy_scores(out.sequences, out.scores, set(eos_ids), length_penalty)


def _greedy_scores(sequences: Any, step_scores: tuple[Any, ...], eos_ids: set[int], length_penalty: float) -> list[float]:
    import torch

    tokens = sequences[:, -len(step_scores):]  # the generated part (after any prompt)
    logp = torch.stack(step_scores, dim=1).float().log_softmax(-1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
    # A row stops at its first end-of-sequence token (included); what follows is padding.
    is_eos = torch.zeros_like(tokens, dtype=torch.bool)
    for eos in eos_ids:
        is_eos |= tokens == eos
    ended_before = (is_eos.cumsum(dim=1) - is_eos.long()) > 0
    valid = ~ended_before
    lengths = valid.sum(dim=1).clamp(min=1).float()
    totals = torch.where(valid, logp, 0.0).sum(dim=1)  # not logp * valid: -inf * 0 is nan
    return (totals / lengths ** length_penalty).tolist()


def eos_token_ids(*candidates: Any) -> list[int]:
    """The first non-empty end-of-sequence id (or list of ids) among ``candidates``."""
    for value in candidates:
        if value is None:
            continue
        return [int(v) for v in value] if isinstance(value, (list, tuple)) else [int(value)]
    return []
