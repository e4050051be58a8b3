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
        self._checker: JointVQAModel | None = None  # loaded by the first verified caption

    @torch.inference_mode()
    def caption(self, images: list[Any], *, num_captions: int = 1, beam_size: int = 5,
                max_length: int = 20, verify: bool = True) -> list[CaptionResult]:
        """Beam search per image (``beam_size=1``: greedy); the top ``num_captions`` beams, best first,
        with the attention map (grid x grid, summing to 1) of every word of the best caption.

        ``verify``: order the beams by how many of the Shapes colour-shape pairs they name ("a red
        circle") the plugin's VQA model says are not in the image (fewest first), then by how many
        pairs they name (most first: a caption does not win by saying less), then by score."""
        _positive(num_captions=num_captions, beam_size=beam_size, max_length=max_length)
        features = self.net.encoder(to_pixels(images, self.net.config.image_size).to(self.device))
        grid = self.net.encoder.grid
        results = []
        for image, cells in zip(images, features):
            beams = self.net.beam_search(cells, self.vocab, max(beam_size, num_captions), max_length)
            captions = [" ".join(self.vocab.decode(b.tokens)) for b in beams]
            if verify and len(beams) > 1:
                checked = self._check_mentions(image, captions)
                order = sorted(range(len(beams)), key=lambda k: checked[k])  # stable: by score within a tie
                beams, captions = [beams[k] for k in order], [captions[k] for k in order]
            beams, captions = beams[:num_captions], captions[:num_captions]
            maps = beams[0].attention.float().cpu().numpy().reshape(-1, grid, grid) if beams else None
            results.append(CaptionResult(captions, [b.score for b in beams], list(maps) if maps is not None else None))
        return results

    def _check_mentions(self, image: Any, captions: list[str]) -> list[tuple[int, int]]:
        """Per caption: (how many of the colour-shape pairs it names the VQA model answers "no" to,
        minus how many distinct pairs it names)."""
        from mmzoo.data.shapes import mentions

        named = [set(mentions(c)) for c in captions]
        pairs = sorted(set().union(*named))
        if not pairs:
            return [(0, 0)] * len(captions)
        if self._checker is None:
            self._checker = JointVQAModel(device=self.device)
        answers = self._checker.answer([image] * len(pairs), [f"is there a {c} {s}?" for c, s in pairs])
        absent = {pair for pair, a in zip(pairs, answers) if a.answer == "no"}
        return [(len(mine & absent), -len(mine)) for mine in named]

    def close(self) -> None:
        del self.net
        self._checker = None


class JointVQAModel(VQAModel):
    """Joint-embedding VQA; ``weights=`` is a folder written by ``mmzoo train vqa``."""

    default_weights = SHIPPED / "shapes-joint"

    def __init__(self, *, weights: str | Path | None = None, device: str | None = None) -> None:
        self.device = device or "cpu"
        self.net, self.vocab, self.answers = JointVQA.load(_folder(weights, self.default_weights))
        self.net.to(self.device)

    @torch.inference_mode()
    def answer(self, images: list[Any], questions: list[str], *, top_k: int = 1) -> list[VQAResult]:
        """The ``top_k`` most probable answers (softmax over the answer set) per question; an image
        given for several questions (the same object) is encoded once."""
        _positive(top_k=top_k)
        row: dict[int, int] = {}  # id of an image -> its row in ``distinct``
        distinct: list[Any] = []
        for image in images:
            if row.setdefault(id(image), len(distinct)) == len(distinct):
                distinct.append(image)
        owner = [row[id(image)] for image in images]
        pixels = to_pixels(distinct, self.net.config.image_size).to(self.device)
        tokens = pad([self.vocab.encode(q) for q in questions]).to(self.device)
        probs = self.net(pixels, tokens, torch.tensor(owner, device=self.device)).softmax(1)
        best = probs.topk(min(top_k, probs.shape[1]), dim=1)
        return [VQAResult(q, [Answer(self.answers.answers[i], float(p)) for p, i in zip(ps.tolist(), ix.tolist())])
                for q, ps, ix in zip(questions, best.values, best.indices)]

    def close(self) -> None:
        del self.net
