"""Show, Attend and Tell (Xu et al. 2015): a CNN feature grid and an LSTM decoder with soft attention.

At every step the decoder scores each grid cell against its hidden state (additive attention),
takes the weighted mean of the cells (gated by a scalar ``beta``), and feeds it with the previous
word to an LSTM cell that predicts the next word. Training uses teacher forcing plus the "doubly
stochastic" penalty that asks every cell to receive, summed over the caption, about one unit of
attention. Decoding is beam search (``beam_size=1`` is greedy).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from mmzoo.image_grids import build_encoder, is_pretrained, pretrained_stage
from mmzoo.train.checkpoint import load_weights, read_config, save_checkpoint

from .vocab import END, START, Vocabulary


@dataclass
class SATConfig:
    vocab_size: int
    image_size: int = 64
    channels: int = 128  # feature size of a grid cell
    embed_dim: int = 128
    hidden_dim: int = 256
    attention_dim: int = 128
    dropout: float = 0.3
    alpha_c: float = 1.0  # weight of the doubly stochastic attention penalty
    # "cnn": GridCNN trained with the decoder; "efficientnet-lite0:blocksN": a frozen ImageNet network
    # cut after N stages, rebuilt from its package at load (not stored in the checkpoint)
    encoder: str = "cnn"

    def __post_init__(self) -> None:
        if is_pretrained(self.encoder):  # a cell's size is the pretrained stage's
            self.channels = pretrained_stage(self.encoder)[1]
        elif self.encoder != "cnn":
            pretrained_stage(self.encoder)  # raises ValueError naming the choices


@dataclass
class Beam:
    tokens: list[int]  # generated words, without <start>/<end>
    score: float  # sum of log-probabilities (including <end>)
    attention: torch.Tensor  # (words, cells)


class ShowAttendTell(nn.Module):
    def __init__(self, config: SATConfig) -> None:
        super().__init__()
        self.config = c = config
        self.encoder = build_encoder(c.encoder, c.channels, c.image_size)
        self.embed = nn.Embedding(c.vocab_size, c.embed_dim, padding_idx=0)
        self.att_features = nn.Linear(c.channels, c.attention_dim)
        self.att_hidden = nn.Linear(c.hidden_dim, c.attention_dim)
        self.att_score = nn.Linear(c.attention_dim, 1)
        self.gate = nn.Linear(c.hidden_dim, c.channels)
        self.init_h = nn.Linear(c.channels, c.hidden_dim)
        self.init_c = nn.Linear(c.channels, c.hidden_dim)
        self.cell = nn.LSTMCell(c.embed_dim + c.channels, c.hidden_dim)
        self.dropout = nn.Dropout(c.dropout)
        self.out = nn.Linear(c.hidden_dim, c.vocab_size)

    @property
    def device(self) -> torch.device:
        return self.out.weight.device

    def start(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mean = features.mean(1)
        return torch.tanh(self.init_h(mean)), torch.tanh(self.init_c(mean)), self.att_features(features)

    def step(self, words: torch.Tensor, features: torch.Tensor, keys: torch.Tensor, h: torch.Tensor,
             c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """One decoding step: (logits, alpha over cells, h, c)."""
        scores = self.att_score(torch.tanh(keys + self.att_hidden(h)[:, None])).squeeze(2)
        alpha = scores.softmax(1)
        context = torch.sigmoid(self.gate(h)) * (alpha[:, :, None] * features).sum(1)
        h, c = self.cell(torch.cat([self.embed(words), context], 1), (h, c))
        return self.out(self.dropout(h)), alpha, h, c

    def forward(self, pixels: torch.Tensor, tokens: torch.Tensor,
                owner: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher forcing on ``tokens`` (N, T) = <start> w1 .. wn <end> <pad>..: (logits (N, T-1, V), alphas
        (N, T-1, cells)). Caption i describes image ``owner[i]`` (default: image i)."""
        return self.decode(self.encoder(pixels), tokens, owner)

    def decode(self, features: torch.Tensor, tokens: torch.Tensor,
               owner: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``forward`` from the encoder's grids ``features`` (images, cells, C)."""
        features = features if owner is None else features[owner]
        h, c, keys = self.start(features)
        logits, alphas = [], []
        for t in range(tokens.shape[1] - 1):
            step_logits, alpha, h, c = self.step(tokens[:, t], features, keys, h, c)
            logits.append(step_logits)
            alphas.append(alpha)
        return torch.stack(logits, 1), torch.stack(alphas, 1)

    def loss(self, pixels: torch.Tensor | None, tokens: torch.Tensor, owner: torch.Tensor | None = None,
             features: torch.Tensor | None = None) -> torch.Tensor:
        """Cross-entropy per word plus ``alpha_c`` x the doubly stochastic penalty sum_cells (1 - sum_t alpha)^2.
        ``features`` (precomputed grids, e.g. of a frozen encoder) replace ``pixels``."""
        logits, alphas = self(pixels, tokens, owner) if features is None else self.decode(features, tokens, owner)
        targets = tokens[:, 1:]
        mask = (targets != 0).float()
        xent = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
        xent = (xent * mask).sum() / mask.sum()
        attention_sum = (alphas * mask[:, :, None]).sum(1)  # (B, cells)
        penalty = ((1.0 - attention_sum) ** 2).mean()
        return xent + self.config.alpha_c * penalty

    @torch.no_grad()
    def beam_search(self, features: torch.Tensor, vocab: Vocabulary, beam_size: int = 3,
                    max_length: int = 20) -> list[Beam]:
        """Beams of one image's ``features`` (cells, C), best first; finished ones before unfinished."""
        start, end = vocab.index[START], vocab.index[END]
        features = features[None]
        h, c, keys = self.start(features)
        words = torch.tensor([start], device=self.device)
        scores = torch.zeros(1, device=self.device)
        sequences: list[list[int]] = [[]]
        attention: list[list[torch.Tensor]] = [[]]
        finished: list[Beam] = []
        for _ in range(max_length + 1):
            n = len(sequences)
            logits, alpha, h, c = self.step(words, features.expand(n, -1, -1), keys.expand(n, -1, -1), h, c)
            total = (scores[:, None] + logits.log_softmax(1)).flatten()
            if len(sequences[0]) == max_length:  # the last step may only end a caption
                total = total.view(n, -1)[:, end]
                best = total.topk(min(beam_size, n))
                rows, cols = best.indices, torch.full_like(best.indices, end)
            else:
                best = total.topk(min(beam_size, total.numel()))
                rows, cols = best.indices // logits.shape[1], best.indices % logits.shape[1]
            keep = []
            for score, row, col in zip(best.values.tolist(), rows.tolist(), cols.tolist()):
                if col == end:
                    maps = torch.stack(attention[row]) if attention[row] else alpha.new_zeros(0, alpha.shape[1])
                    finished.append(Beam(sequences[row], score, maps))  # one map per word, <end>'s left out
                else:
                    keep.append((score, row, col))
            if len(finished) >= beam_size or not keep:
                break
            rows_kept = torch.tensor([r for _, r, _ in keep], device=self.device)
            sequences = [sequences[r] + [w] for _, r, w in keep]
            attention = [attention[r] + [alpha[r]] for _, r, _ in keep]
            scores = torch.tensor([s for s, _, _ in keep], device=self.device)
            words = torch.tensor([w for _, _, w in keep], device=self.device)
            h, c = h[rows_kept], c[rows_kept]
        finished.sort(key=lambda b: -b.score)
        return finished[:beam_size]

    # -- checkpoints ---------------------------------------------------------------------------
    def save(self, folder, vocab: Vocabulary):
        folder = save_checkpoint(folder, self, self.config)
        vocab.save(folder / "vocab.json")
        return folder

    @classmethod
    def load(cls, folder) -> tuple[ShowAttendTell, Vocabulary]:
        from pathlib import Path

        model = cls(read_config(folder, SATConfig))
        load_weights(folder, model)
        return model.eval(), Vocabulary.load(Path(folder) / "vocab.json")
