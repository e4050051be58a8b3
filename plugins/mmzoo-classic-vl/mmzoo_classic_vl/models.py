"""The trained networks as mmzoo models: a ``caption`` model and a ``vqa`` model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from mmzoo.errors import InvalidInput, WeightsUnavailable
from mmzoo.image_grids import to_pixels
from mmzoo.tasks.caption import CaptionModel, CaptionResult
from mmzoo.tasks.vqa import Answer, VQAModel, VQAResult

from .joint_vqa import JointVQA, pad
from .sat import ShowAttendTell

SHIPPED = Path(__file__).parent / "weights"


def _folder(weights: str | Path | None, default: Path) -> Path:
    folder = Path(weights) if weights else default
    if not folder.is_dir():
        raise WeightsUnavailable(f"checkpoint folder {folder} does not exist")
    return folder


def _positive(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or value < 1:
            raise InvalidInput(f"{name} must be a positive integer, got {value!r}")


class SATCaptioner(CaptionModel):
    """Show-Attend-Tell; ``weights=`` is a folder written by ``mmzoo train caption``."""

    default_weights = SHIPPED / "shapes-sat"

    def __init__(self, *, weights: str | Path | None = None, device: str | None = None) -> None:
        self.device = device or "cpu"
        self.net, self.vocab = ShowAttendTell.load(_folder(weights, self.default_weights))
        self.net.to(self.device)

    @torch.inference_mode()
    def caption(self, images: list[Any], *, num_captions: int = 1, beam_size: int = 3,
                max_length: int = 20) -> list[CaptionResult]:
        """Beam search per image (``beam_size=1``: greedy); the top ``num_captions`` beams, best first,
        with the attention map (grid x grid, summing to 1) of every word of the best caption."""
        _positive(num_captions=num_captions, beam_size=beam_size, max_length=max_length)
        features = self.net.encoder(to_pixels(images, self.net.config.image_size).to(self.device))
        grid = self.net.encoder.grid
        results = []
        for cells in features:
            beams = self.net.beam_search(cells, self.vocab, max(beam_size, num_captions), max_length)[:num_captions]
            captions = [" ".join(self.vocab.decode(b.tokens)) for b in beams]
            maps = beams[0].attention.float().cpu().numpy().reshape(-1, grid, grid) if beams else None
            results.append(CaptionResult(captions, [b.score for b in beams], list(maps) if maps is not None else None))
        return results

    def close(self) -> None:
        del self.net


class JointVQAModel(VQAModel):
    """Joint-embedding VQA; ``weights=`` is a folder written by ``mmzoo train vqa``."""

    default_weights = SHIPPED / "shapes-joint"

    def __init__(self, *, weights: str | Path | None = None, device: str | None = None) -> None:
        self.device = device or "cpu"
        self.net, self.vocab, self.answers = JointVQA.load(_folder(weights, self.default_weights))
        self.net.to(self.device)

    @torch.inference_mode()
    def answer(self, images: list[Any], questions: list[str], *, top_k: int = 1) -> list[VQAResult]:
        """The ``top_k`` most probable answers (softmax over the answer set) per question."""
        _positive(top_k=top_k)
        pixels = to_pixels(images, self.net.config.image_size).to(self.device)
        tokens = pad([self.vocab.encode(q) for q in questions]).to(self.device)
        probs = self.net(pixels, tokens).softmax(1)
        best = probs.topk(min(top_k, probs.shape[1]), dim=1)
        return [VQAResult(q, [Answer(self.answers.answers[i], float(p)) for p, i in zip(ps.tolist(), ix.tolist())])
                for q, ps, ix in zip(questions, best.values, best.indices)]

    def close(self) -> None:
        del self.net
