"""The dual encoder as a mmzoo retrieval model, and the registered checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from mmzoo.devices import resolve_device
from mmzoo.errors import InvalidInput, WeightsUnavailable
from mmzoo.tasks.retrieve import RetrievalModel
from mmzoo.weights import hf_file, torch_hub_checkpoints, unreachable

from .model import DualEncoder, DualEncoderConfig, pad_words
from .pins import PINNED_REVISIONS

if TYPE_CHECKING:
    from mmzoo.registry import ModelSpec

SHIPPED = Path(__file__).parent / "weights"
IMAGE_CHUNK = 1024  # images scored at once against a batch of texts by a region-matching model


class DualEncoderRetrieval(RetrievalModel):
    """Any :class:`DualEncoder` checkpoint; ``weights=`` is the folder written by ``mmzoo train retrieve``."""

    default_weights: Path | None = None  # a shipped checkpoint, if the registered model has one
    logit_scale = 20.0  # zero-shot softmax temperature (the triplet loss learns no temperature)

    def __init__(self, *, weights: str | Path | None = None, device: str | None = None, batch_size: int = 32) -> None:
        folder = weights or self.default_weights
        if folder is None:
            raise InvalidInput(self.no_checkpoint_message())
        if not Path(folder).is_dir():
            raise WeightsUnavailable(f"checkpoint folder {folder} does not exist")
        self.device = resolve_device(device)
        self.batch_size = batch_size
        self.encoder = DualEncoder.load(folder).to(self.device)
        self.single_vector = not self.encoder.regions

    def no_checkpoint_message(self) -> str:
        return "this model needs a trained checkpoint: weights=<folder written by `mmzoo train retrieve`>"

    @torch.inference_mode()
    def embed_texts(self, texts: list[str]) -> np.ndarray | list[np.ndarray]:
        """(N, D) unit rows; with region matching a list of (words, D) arrays, one per text."""
        if not self.encoder.regions:
            return self._chunks(texts, self.encoder.encode_texts)
        out = []
        for start in range(0, len(texts), self.batch_size):
            words, lengths = self.encoder.encode_texts(list(texts[start:start + self.batch_size]))
            out += [w[:n].float().cpu().numpy() for w, n in zip(words, lengths.tolist())]
        return out

    @torch.inference_mode()
    def embed_images(self, images: list[Any]) -> np.ndarray:
        """(N, D) unit rows; with region matching (N, regions * D): each region's unit vector, in a row."""
        vectors = self._chunks(images, lambda part: self.encoder.encode_images(self.encoder.pixels(part)))
        return vectors.reshape(len(vectors), -1)

    @torch.inference_mode()
    def similarity(self, text_embeddings: Any, image_embeddings: Any) -> np.ndarray:
        if not self.encoder.regions:
            return super().similarity(text_embeddings, image_embeddings)
        dim = self.encoder.config.embed_dim
        images = torch.from_numpy(np.asarray(image_embeddings, dtype=np.float32)).to(self.device)
        images = images.reshape(len(images), -1, dim)
        rows = []
        for start in range(0, len(text_embeddings), self.batch_size):
            words, lengths = pad_words([torch.from_numpy(np.asarray(t, dtype=np.float32).reshape(-1, dim))
                                        for t in text_embeddings[start:start + self.batch_size]], self.device)
            rows.append(np.concatenate([  # image chunks bound the (texts, images, regions, words) matchmaps
                self.encoder.similarity((words, lengths), images[i:i + IMAGE_CHUNK]).float().cpu().numpy()
                for i in range(0, len(images), IMAGE_CHUNK)], axis=1))
        return np.concatenate(rows) if rows else np.zeros((0, len(images)), np.float32)

    def _chunks(self, items: list[Any], encode: Any) -> np.ndarray:
        parts = [encode(list(items[s:s + self.batch_size])) for s in range(0, len(items), self.batch_size)]
        return torch.cat(parts).float().cpu().numpy()

    def close(self) -> None:
        del self.encoder


class ShapesDualEncoder(DualEncoderRetrieval):
    """Frozen all-MiniLM-L6-v2 text tower + a small CNN, trained by this recipe on the Shapes world."""

    default_weights = SHIPPED / "shapes-minilm-cnn"


class ShapesRegionMatcher(DualEncoderRetrieval):
    """Frozen all-MiniLM-L6-v2 word states x a frozen EfficientNet-lite0 14x14 grid, each through a
    trained projection, compared word by region (MISA); trained on the Shapes world."""

    default_weights = SHIPPED / "shapes-minilm-regions"


class BertResNet50(DualEncoderRetrieval):
    """The course recipe at full size: bert-base-uncased + ImageNet ResNet-50, trained by you.

    No trained checkpoint is published, so loading needs ``weights=`` (a folder written by
    ``mmzoo train retrieve``); ``mmzoo download retrieve/bert-resnet50`` fetches the two pretrained
    towers that training starts from.
    """

    towers = DualEncoderConfig(text_model="bert-base-uncased", image_model="resnet50", image_weights="DEFAULT")

    def no_checkpoint_message(self) -> str:
        return ("retrieve/bert-resnet50 has no published checkpoint: train one with `mmzoo train retrieve --out DIR` "
                "(towers: `mmzoo download retrieve/bert-resnet50`) and load it with weights=DIR")

    @classmethod
    def download(cls, spec: ModelSpec) -> str:
        from huggingface_hub import snapshot_download
        from torchvision.models import get_model_weights

        text, revision = cls.towers.text_model, PINNED_REVISIONS[cls.towers.text_model]
        weights = get_model_weights(cls.towers.image_model).DEFAULT
        cached = (hf_file(text, revision, ["model.safetensors"]) is not None
                  and (torch_hub_checkpoints() / Path(weights.url).name).is_file())
        reason = None if cached else unreachable()  # seconds offline, not the hub library's minute of retries
        if reason:
            raise WeightsUnavailable(f"{spec.id}: cannot fetch the towers ({reason}); run it where there is internet")
        try:
            folder = snapshot_download(text, revision=revision, allow_patterns=["*.json", "*.txt", "*.safetensors"])
            weights.get_state_dict(progress=True)  # into TORCH_HOME's hub cache
        except OSError as exc:
            raise WeightsUnavailable(f"{spec.id}: cannot fetch the towers ({exc}); check the connection") from None
        return f"{spec.id}: text tower in {folder}; image tower {weights} in the torch hub cache"
