"""Recall@K and rank statistics for cross-modal retrieval, both directions; ``top_k`` ranking.

With several captions per image (COCO, Flickr: five), a text->image query has one right image,
and an image->text query is a hit when *any* of its captions is in the top k (the convention of
VSE++ and the papers after it). Written with numpy: no maintained library handles the
many-captions-per-image case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

DEFAULT_KS = (1, 5, 10)


@dataclass
class RankScores:
    recall: dict[int, float]  # k -> fraction of queries with a right item in the top k
    median_rank: float  # 1-based rank of the first right item
    mean_rank: float

    def to_dict(self, prefix: str) -> dict[str, float]:
        out = {f"{prefix}R@{k}": v for k, v in self.recall.items()}
        out[f"{prefix}medr"] = self.median_rank
        out[f"{prefix}meanr"] = self.mean_rank
        return out


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores, best first (ties keep gallery order)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.lexsort((top, -scores[top]))]


def first_right_ranks(similarity: np.ndarray, right: Sequence[Sequence[int]]) -> np.ndarray:
    """1-based rank of the best-ranked right gallery item for each query (row of ``similarity``).

    Ties are broken against the query (a right item tied with a wrong one ranks after it).
    """
    similarity = np.asarray(similarity, dtype=np.float64)
    if similarity.ndim != 2 or len(right) != similarity.shape[0]:
        raise ValueError("similarity must be (queries, gallery) with one list of right items per query")
    ranks = np.empty(len(right), dtype=np.int64)
    for q, items in enumerate(right):
        if len(items) == 0:
            raise ValueError(f"query {q} has no right gallery item")
        row = similarity[q]
        wrong = np.ones(row.shape[0], dtype=bool)
        wrong[list(items)] = False
        ranks[q] = 1 + np.count_nonzero(row[wrong] >= row[list(items)].max())
    return ranks


def rank_scores(ranks: np.ndarray, ks: Sequence[int] = DEFAULT_KS) -> RankScores:
    ranks = np.asarray(ranks)
    median = float(np.floor(np.median(ranks - 1)) + 1)  # as the VSE++/SCAN code reports it: a whole rank
    return RankScores({k: float(np.mean(ranks <= k)) for k in ks}, median, float(np.mean(ranks)))


def retrieval_scores(image_embeddings: np.ndarray, text_embeddings: np.ndarray, text_image: Sequence[int],
                     ks: Sequence[int] = DEFAULT_KS) -> dict[str, float]:
    """R@K both ways from L2-normalised embeddings; ``text_image[t]`` is the image index of text t.

    Keys: ``i2t_R@1`` ... (image->text, a hit if any of its captions ranks in the top k),
    ``t2i_R@1`` ... (text->image), ``*_medr``, ``*_meanr`` and ``rsum`` (the sum of the six recalls).
    """
    similarity = np.asarray(image_embeddings) @ np.asarray(text_embeddings).T  # (images, texts)
    return recall_scores(similarity, text_image, ks)


def recall_scores(similarity: np.ndarray, text_image: Sequence[int], ks: Sequence[int] = DEFAULT_KS) -> dict[str, float]:
    """:func:`retrieval_scores` from an (images, texts) similarity matrix (for models whose similarity
    is not a dot product of two vectors, e.g. a matchmap pooled with MISA)."""
    text_image = np.asarray(text_image)
    similarity = np.asarray(similarity)
    if similarity.shape != (similarity.shape[0], len(text_image)):
        raise ValueError(f"similarity {similarity.shape} must be (images, texts) with one image index per text")
    captions_of = [np.flatnonzero(text_image == i) for i in range(similarity.shape[0])]
    i2t = rank_scores(first_right_ranks(similarity, captions_of), ks)
    t2i = rank_scores(first_right_ranks(similarity.T, [[i] for i in text_image]), ks)
    scores = {**i2t.to_dict("i2t_"), **t2i.to_dict("t2i_")}
    scores["rsum"] = sum(i2t.recall.values()) + sum(t2i.recall.values())
    return scores
