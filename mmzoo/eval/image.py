"""Image metrics: PSNR, SSIM and L1 (scikit-image), CLIPScore and the manipulation precision.

CLIPScore (Hessel et al., 2021) = w * max(cos(image, text), 0) with w = 2.5, given any retrieval
model of mmzoo (its embeddings are L2-normalised). The manipulation precision of text-guided
editing (ManiGAN, Li et al., 2020) = (1 - diff) * sim, with diff the L1 distance between input
and edited image (pixels in [0, 1]) and sim the cosine similarity of the edited image and the text.
IS and FID need the Inception weights of torch-fidelity; offline they raise WeightsUnavailable.
"""

from __future__ import annotations

from typing import Any, Protocol, Sequence

import numpy as np

from ..errors import InvalidInput, MissingDependency, WeightsUnavailable
from ..media import load_image

CLIPSCORE_WEIGHT = 2.5


class Embedder(Protocol):
    """Texts and images into one L2-normalised space: a retrieval model (the tasks sit above the metrics)."""

    def embed_texts(self, texts: list[str]) -> np.ndarray: ...

    def embed_images(self, images: list[Any]) -> np.ndarray: ...


def _pair(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    first, second = load_image(a), load_image(b)
    if first.size != second.size:
        raise InvalidInput(f"images differ in size: {first.size} vs {second.size}")
    return np.asarray(first), np.asarray(second)


def psnr(reference: Any, image: Any) -> float:
    from skimage.metrics import peak_signal_noise_ratio

    ref, img = _pair(reference, image)
    if np.array_equal(ref, img):
        return float("inf")  # no error at all (skimage would divide by zero to get here)
    return float(peak_signal_noise_ratio(ref, img, data_range=255))


def ssim(reference: Any, image: Any) -> float:
    from skimage.metrics import structural_similarity

    ref, img = _pair(reference, image)
    return float(structural_similarity(ref, img, channel_axis=-1, data_range=255))


def l1(reference: Any, image: Any) -> float:
    """Mean absolute pixel difference, pixels scaled to [0, 1]."""
    ref, img = _pair(reference, image)
    return float(np.abs(ref.astype(np.float64) - img.astype(np.float64)).mean() / 255.0)


def masked_errors(reference: Any, image: Any, mask: Any) -> dict[str, float]:
    """L1 (pixels in [0, 1]), PSNR (dB) and SSIM inside and outside ``mask`` (white = the region),
    e.g. an inpainted region against the original and how well the rest was kept. SSIM is
    scikit-image's local SSIM map averaged over each region; a region without error has PSNR inf."""
    from skimage.metrics import structural_similarity

    ref, img = (a.astype(np.float64) for a in _pair(reference, image))
    region = np.asarray(load_image(mask, mode="L").resize((ref.shape[1], ref.shape[0]))) > 127
    _, ssim_map = structural_similarity(ref, img, channel_axis=-1, data_range=255, full=True)
    out: dict[str, float] = {}
    for name, where in (("in", region), ("out", ~region)):
        if not where.any():
            continue
        error = (ref - img)[where]
        mse = float(np.mean(error ** 2))
        out[f"l1_{name}"] = float(np.abs(error).mean() / 255.0)
        out[f"psnr_{name}"] = float("inf") if mse == 0 else float(10 * np.log10(255.0 ** 2 / mse))
        out[f"ssim_{name}"] = float(ssim_map[where].mean())
    return out


def clip_score(model: Embedder, images: Sequence[Any], texts: Sequence[str],
               weight: float = CLIPSCORE_WEIGHT) -> list[float]:
    """CLIPScore of each (image, text) pair with the given retrieval model."""
    if len(images) != len(texts):
        raise InvalidInput(f"{len(images)} images but {len(texts)} texts")
    cosine = paired_similarity(model, images, texts)
    return [float(weight * max(c, 0.0)) for c in cosine]


def paired_similarity(model: Embedder, images: Sequence[Any], texts: Sequence[str]) -> np.ndarray:
    """The similarity of each image with its text: the cosine of their embeddings, or the model's own
    pooled similarity for a multi-vector model (words x regions)."""
    image_vectors = model.embed_images([load_image(i) for i in images])
    text_vectors = model.embed_texts(list(texts))
    if getattr(model, "single_vector", True):
        return np.sum(np.asarray(image_vectors) * np.asarray(text_vectors), axis=1)
    # one pair at a time (slices of a list or an array alike), not every text against every image
    return np.array([float(np.asarray(model.similarity(text_vectors[i:i + 1], image_vectors[i:i + 1]))[0, 0])
                     for i in range(len(images))])


def manipulation_precision(model: Embedder, original: Any, edited: Any, text: str) -> float:
    """MP = (1 - L1(original, edited)) * cos(edited, text)."""
    diff = l1(original, edited)
    similarity = float(paired_similarity(model, [edited], [text])[0])
    return (1.0 - diff) * similarity


def inception_unavailable() -> str | None:
    """Why IS/FID cannot be computed here (a missing package or the weights), or None when they can."""
    try:
        _inception_metrics()
    except (MissingDependency, WeightsUnavailable) as exc:
        return str(exc)
    return None


def _inception_metrics() -> tuple[Any, Any]:
    """torchmetrics' FID and IS metrics, or MissingDependency / WeightsUnavailable."""
    try:
        from torchmetrics.image.fid import FrechetInceptionDistance
        from torchmetrics.image.inception import InceptionScore
    except ImportError:
        raise MissingDependency("IS/FID need torch, torchmetrics and torch-fidelity: "
                                "pip install torch torchmetrics torch-fidelity") from None
    try:
        fid, inception = FrechetInceptionDistance(feature=2048), InceptionScore()
    except Exception as exc:  # the Inception weights download on first use
        raise WeightsUnavailable(f"IS/FID need the FID Inception weights (about 92 MB), which torch-fidelity "
                                 f"downloads into TORCH_HOME on first use; connect once and retry ({exc})") from None
    return fid, inception


def inception_scores(real: Sequence[Any], fake: Sequence[Any]) -> dict[str, float]:
    """IS of ``fake`` and FID between ``real`` and ``fake``, with torchmetrics / torch-fidelity."""
    fid, inception = _inception_metrics()
    import torch

    def batch(images: Sequence[Any]) -> Any:
        arrays = np.stack([np.asarray(load_image(i).resize((299, 299))) for i in images])
        return torch.from_numpy(arrays).permute(0, 3, 1, 2)

    fid.update(batch(real), real=True)
    fid.update(batch(fake), real=False)
    inception.update(batch(fake))
    mean, std = inception.compute()
    return {"FID": float(fid.compute()), "IS": float(mean), "IS_std": float(std)}
