"""Joint-embedding losses against their definitions, computed the slow way."""

from __future__ import annotations

import math

import pytest

import torch

from mmzoo.train.losses import guided_attention_loss, info_nce, triplet_loss


def slow_triplet(sim, margin, negatives, same=None):
    n = len(sim)
    usable = lambda a, b: a != b and not (same is not None and same[a][b])
    total = 0.0
    for direction in (sim, [list(col) for col in zip(*sim)]):
        usable_d = usable if direction is sim else (lambda a, b: usable(b, a))
        row_costs = []
        for a in range(n):
            pos = direction[a][a]
            negs = [direction[a][b] for b in range(n) if usable_d(a, b)]
            hinge = lambda s: max(0.0, margin + s - pos)
            if negatives == "all":
                row_costs.append(sum(hinge(s) for s in negs))
            elif negatives == "sampled":  # the expected cost of one negative drawn uniformly
                row_costs.append(sum(hinge(s) for s in negs) / len(negs))
            elif negatives == "hardest":
                row_costs.append(max(hinge(s) for s in negs))
            else:
                below = [s for s in negs if s < pos]
                row_costs.append(hinge(max(below)) if below else hinge(min(negs)))
        total += sum(row_costs) / n
    return total


@pytest.mark.parametrize("negatives", ["all", "hardest", "semi-hard"])
@pytest.mark.parametrize("seed", [0, 1])
def test_triplet_matches_its_definition(negatives, seed):
    generator = torch.Generator().manual_seed(seed)
    sim = torch.rand(6, 6, generator=generator) * 2 - 1
    same = torch.zeros(6, 6, dtype=torch.bool)
    same[0, 1] = same[1, 0] = True  # items 0 and 1 are positives of each other
    for mask in (None, same):
        got = triplet_loss(sim, margin=0.2, negatives=negatives, same=mask).item()
        want = slow_triplet(sim.tolist(), 0.2, negatives, None if mask is None else mask.tolist())
        assert got == pytest.approx(want, abs=1e-5)


def test_sampled_imposters_average_to_the_mean_negative_and_never_draw_a_positive():
    generator = torch.Generator().manual_seed(0)
    sim = torch.rand(5, 5, generator=generator) * 2 - 1
    same = torch.zeros(5, 5, dtype=torch.bool)
    same[0, 1] = same[1, 0] = True
    torch.manual_seed(0)
    draws = [triplet_loss(sim, 0.2, "sampled", same).item() for _ in range(4000)]
    assert sum(draws) / len(draws) == pytest.approx(slow_triplet(sim.tolist(), 0.2, "sampled", same.tolist()), rel=0.03)
    # a positive is never drawn: with the only negatives costing nothing, every draw costs nothing
    easy = torch.full((3, 3), -1.0).fill_diagonal_(1.0)
    easy[0, 1] = easy[1, 0] = 5.0
    mask = torch.zeros(3, 3, dtype=torch.bool)
    mask[0, 1] = mask[1, 0] = True
    assert max(triplet_loss(easy, 0.2, "sampled", mask).item() for _ in range(50)) == 0.0


def test_perfect_embeddings_cost_nothing_and_bad_ones_do():
    assert triplet_loss(torch.eye(4) * 1.0 - 0.5 * (1 - torch.eye(4))).item() == 0.0  # margin 0.2 < gap 1.5
    assert triplet_loss(torch.ones(4, 4)).item() == pytest.approx(2 * 0.2)
    with pytest.raises(ValueError, match="negatives must be"):
        triplet_loss(torch.eye(3), negatives="random")


def test_info_nce_matches_cross_entropy_by_hand():
    sim = torch.tensor([[0.9, 0.1], [0.2, 0.8]])
    t = 0.5
    rows = [-math.log(math.exp(r[i] / t) / sum(math.exp(v / t) for v in r)) for i, r in enumerate(sim.tolist())]
    cols = [-math.log(math.exp(c[i] / t) / sum(math.exp(v / t) for v in c))
            for i, c in enumerate(sim.t().tolist())]
    assert info_nce(sim, temperature=t).item() == pytest.approx((sum(rows) / 2 + sum(cols) / 2) / 2, abs=1e-6)


def slow_guided(alignment, n_in, n_out, sigma):
    """(the sum over an utterance's real cells of attention x weight, its real steps)"""
    cells = [(t, n) for t in range(n_out) for n in range(n_in)]
    return sum(float(alignment[t][n]) * (1 - math.exp(-((n / n_in - t / n_out) ** 2) / (2 * sigma ** 2)))
               for t, n in cells), n_out


def test_guided_attention_matches_its_definition_and_ignores_padding():
    generator = torch.Generator().manual_seed(0)
    alignments = torch.rand(2, 7, 5, generator=generator).softmax(dim=2)
    n_in, n_out = torch.tensor([5, 3]), torch.tensor([7, 4])
    parts = [slow_guided(alignments[b], int(n_in[b]), int(n_out[b]), 0.2) for b in range(2)]
    expected = sum(p[0] for p in parts) / sum(p[1] for p in parts)
    assert guided_attention_loss(alignments, n_in, n_out, sigma=0.2).item() == pytest.approx(expected, rel=1e-5)
    padded = alignments.clone()
    padded[1, 4:, :] = 9.0  # steps and symbols past an utterance's lengths cost nothing
    padded[1, :, 3:] = 9.0
    assert guided_attention_loss(padded, n_in, n_out).item() == pytest.approx(
        guided_attention_loss(alignments, n_in, n_out).item(), rel=1e-6)


def test_guided_attention_prefers_the_diagonal():
    steps, symbols = 12, 6
    diagonal = torch.zeros(1, steps, symbols)
    diagonal[0, torch.arange(steps), torch.arange(steps) * symbols // steps] = 1
    lengths = (torch.tensor([symbols]), torch.tensor([steps]))
    assert guided_attention_loss(diagonal, *lengths) < 0.05 < 0.5 < guided_attention_loss(diagonal.flip(2), *lengths)
