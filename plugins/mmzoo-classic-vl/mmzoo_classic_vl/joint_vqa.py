"""Joint-embedding VQA (Antol et al. 2015, "deeper LSTM Q + I"): an image vector (CNN grid -> linear ->
tanh) and a question vector (2-layer LSTM states -> linear -> tanh), fused by element-wise product,
classified by an MLP over the most frequent training answers. With ``fusion="glimpses"`` the image
vector is read from question-guided attention glimpses: what each one sees, where, and how well
its best cell matched, which existence, counting and relation questions need; ``glimpse_direct`` adds
a small MLP from the question and those few place and match numbers straight to the answers, which
is what made yes/no questions learnable (see the shipped weights' README)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from mmzoo.image_grids import build_encoder, is_pretrained, pretrained_stage
from mmzoo.train.checkpoint import load_weights, read_config, save_checkpoint

from .vocab import AnswerSet, Vocabulary


@dataclass
class JointVQAConfig:
    vocab_size: int
    num_answers: int
    image_size: int = 64
    channels: int = 128
    embed_dim: int = 128
    hidden_dim: int = 256
    joint_dim: int = 512
    dropout: float = 0.3
    freeze_image: bool = False  # keep the CNN fixed (e.g. one taken from a trained captioner)
    # "cnn": GridCNN (trained, or frozen with freeze_image); "efficientnet-lite0:blocksN": a frozen ImageNet
    # network, stored by name only (rebuilt at load, not in the checkpoint)
    encoder: str = "cnn"
    cell_dim: int = 128  # a pretrained encoder's cells -> this size by the trained adapter
    # "flatten": the grid as one vector (the paper); "attention": the question weighs the cells (with a
    # learned position per cell) and their weighted mean is the image vector (stacked-attention style);
    # "glimpses": `glimpses` attention maps, each read out as the attended cell, where it is (the
    # attended x, y) and how strongly the best cell matched (its top score): what existence, counting
    # and relation ("is A left of B") questions need
    fusion: str = "flatten"
    glimpses: int = 2
    # glimpses: also read each one's mass, the summed sigmoid of its cell scores, which a softmax
    # normalises away: how much of the image matches, what existence and counting questions ask
    glimpse_mass: bool = False
    # glimpses: also a small MLP from the question and each glimpse's few scalar readings (where, top
    # score, mass) straight to the answers, beside the fused vector, where they are 6-8 numbers of ~230
    glimpse_direct: bool = False

    def __post_init__(self) -> None:
        if is_pretrained(self.encoder):  # a cell's size is the pretrained stage's; it is never trained
            self.channels = pretrained_stage(self.encoder)[1]
            self.freeze_image = True
        elif self.encoder != "cnn":
            pretrained_stage(self.encoder)  # raises ValueError naming the choices
        if self.fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {', '.join(FUSIONS)}, got {self.fusion!r}")
        if self.glimpses < 1:
            raise ValueError(f"glimpses must be at least 1, got {self.glimpses}")


FUSIONS = ("flatten", "attention", "glimpses")


class JointVQA(nn.Module):
    def __init__(self, config: JointVQAConfig) -> None:
        super().__init__()
        self.config = c = config
        self.encoder = build_encoder(c.encoder, c.channels, c.image_size)
        self.encoder.requires_grad_(not c.freeze_image)
        cells = self.encoder.grid ** 2
        # A frozen pretrained network's cells (large activations: std ~5 for blocks5) go through a trained
        # 1x1 "adapter", shared by all cells: layer norm -> linear cell_dim -> ReLU. The small CNN's
        # batch-normalised cells go in as they are.
        pretrained = is_pretrained(c.encoder)
        self.image_norm = nn.Sequential(nn.LayerNorm(c.channels), nn.Linear(c.channels, c.cell_dim), nn.ReLU()) \
            if pretrained else nn.Identity()
        cell_dim = c.cell_dim if pretrained else c.channels
        if c.fusion == "attention":
            self.cell_position = nn.Parameter(torch.zeros(cells, cell_dim))
            self.attend_cells = nn.Linear(cell_dim, c.joint_dim // 2)
            self.attend_question = nn.Linear(c.joint_dim, c.joint_dim // 2)
            self.attend_score = nn.Linear(c.joint_dim // 2, 1)
            self.image_proj = nn.Sequential(nn.Dropout(c.dropout), nn.Linear(cell_dim, c.joint_dim), nn.Tanh())
        elif c.fusion == "glimpses":
            self.glimpse = Glimpses(cell_dim, self.encoder.grid, c.joint_dim, c.glimpses, c.dropout, c.glimpse_mass)
            if c.glimpse_direct:
                scalars = c.glimpses * (3 + c.glimpse_mass)
                self.direct = nn.Sequential(nn.Linear(scalars + c.joint_dim, c.joint_dim // 2), nn.ReLU(),
                                            nn.Linear(c.joint_dim // 2, c.num_answers))
        else:
            self.image_proj = nn.Sequential(nn.Flatten(), nn.Dropout(c.dropout),
                                            nn.Linear(cells * cell_dim, c.joint_dim), nn.Tanh())
        self.embed = nn.Embedding(c.vocab_size, c.embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(c.embed_dim, c.hidden_dim, num_layers=2, batch_first=True)
        self.question_proj = nn.Sequential(nn.Linear(4 * c.hidden_dim, c.joint_dim), nn.Tanh())
        self.classifier = nn.Sequential(nn.Dropout(c.dropout), nn.Linear(c.joint_dim, c.joint_dim), nn.Tanh(),
                                        nn.Dropout(c.dropout), nn.Linear(c.joint_dim, c.num_answers))

    @property
    def device(self) -> torch.device:
        return self.embed.weight.device

    def encode_question(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, T) padded word ids -> (B, joint_dim): both layers' last h and c, as in the paper."""
        lengths = (tokens != 0).sum(1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(self.embed(tokens), lengths, batch_first=True, enforce_sorted=False)
        _, (h, c) = self.lstm(packed)
        return self.question_proj(torch.cat([h[0], h[1], c[0], c[1]], 1))

    def forward(self, pixels: torch.Tensor | None, tokens: torch.Tensor, owner: torch.Tensor | None = None,
                features: torch.Tensor | None = None) -> torch.Tensor:
        """Answer logits of question i about image ``owner[i]`` (default: image i). ``features``
        (precomputed encoder grids, e.g. of a frozen encoder) replace ``pixels``."""
        if features is None:
            if self.config.freeze_image:
                self.encoder.eval()  # frozen batch-norm statistics too
            features = self.encoder(pixels)
        question = self.encode_question(tokens)
        cells = self.image_norm(features)
        if self.config.fusion == "glimpses":
            image, scalars = self.glimpse(cells if owner is None else cells[owner], question)
            logits = self.classifier(image * question)
            if self.config.glimpse_direct:
                logits = logits + self.direct(torch.cat([scalars, question], 1))
            return logits
        if self.config.fusion == "attention":
            cells = (cells if owner is None else cells[owner]) + self.cell_position
            scores = self.attend_score(torch.tanh(self.attend_cells(cells) + self.attend_question(question)[:, None]))
            image = self.image_proj((scores.softmax(1) * cells).sum(1))
        else:
            image = self.image_proj(cells)
            image = image if owner is None else image[owner]
        return self.classifier(image * question)

    # -- checkpoints ---------------------------------------------------------------------------
    def save(self, folder, vocab: Vocabulary, answers: AnswerSet) -> Path:
        folder = save_checkpoint(folder, self, self.config, files={"answers.json": answers.answers})
        vocab.save(folder / "vocab.json")
        return folder

    @classmethod
    def load(cls, folder) -> tuple[JointVQA, Vocabulary, AnswerSet]:
        import json

        from mmzoo.errors import WeightsUnavailable

        model = cls(read_config(folder, JointVQAConfig))
        load_weights(folder, model)
        answers_path = Path(folder) / "answers.json"
        if not answers_path.is_file():
            raise WeightsUnavailable(f"answer list {answers_path} is missing")
        return model.eval(), Vocabulary.load(Path(folder) / "vocab.json"), AnswerSet(json.loads(answers_path.read_text()))


class Glimpses(nn.Module):
    """(Q, cells, dim) grids + (Q, question_dim) questions -> (Q, out_dim): ``glimpses`` question-guided
    attention maps over the cells (each cell with a learned position; bilinear scores), each read out
    as its weighted cell, its weighted (x, y), its top score and, with ``mass``, log(1 + the sum of
    its cells' sigmoid scores); concatenated, linear, tanh. Also returns the (Q, glimpses * 3-4)
    scalar readings alone (where, top score, mass)."""

    def __init__(self, dim: int, grid: int, out_dim: int, glimpses: int, dropout: float, mass: bool = False) -> None:
        super().__init__()
        self.mass = mass
        hidden = out_dim // 2
        axis = torch.linspace(-1, 1, grid)
        y, x = torch.meshgrid(axis, axis, indexing="ij")
        self.register_buffer("xy", torch.stack([x.flatten(), y.flatten()], 1), persistent=False)  # (cells, 2)
        self.position = nn.Parameter(torch.zeros(grid * grid, dim))
        self.cells = nn.Linear(dim, hidden)
        self.question = nn.Linear(out_dim, hidden * glimpses)
        self.out = nn.Sequential(nn.Dropout(dropout), nn.Linear(glimpses * (dim + 3 + mass), out_dim), nn.Tanh())

    def forward(self, cells: torch.Tensor, question: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        cells = cells + self.position
        hidden = self.cells.out_features
        asked = self.question(question).view(len(question), -1, hidden)  # (Q, glimpses, hidden)
        # bilinear scores: a cell scores high when it has what the question asks for (a product, which
        # the additive tanh(W c + W q) form of the attention fusion can only approximate)
        scores = torch.einsum("qch,qgh->qcg", self.cells(cells), asked) / hidden ** 0.5  # (Q, cells, glimpses)
        weights = scores.softmax(dim=1)
        seen = torch.einsum("qcg,qcd->qgd", weights, cells)
        where = torch.einsum("qcg,ck->qgk", weights, self.xy)
        scalars = [where, scores.max(dim=1).values[..., None]]
        if self.mass:
            scalars.append(torch.log1p(torch.sigmoid(scores).sum(dim=1))[..., None])
        scalars = torch.cat(scalars, dim=2)
        return self.out(torch.cat([seen, scalars], dim=2).flatten(1)), scalars.flatten(1)


def pad(sequences: list[list[int]], length: int | None = None) -> torch.Tensor:
    length = length or max(1, max(len(s) for s in sequences))
    out = torch.zeros(len(sequences), length, dtype=torch.long)
    for i, s in enumerate(sequences):
        out[i, :len(s[:length])] = torch.tensor(s[:length], dtype=torch.long)
    return out
