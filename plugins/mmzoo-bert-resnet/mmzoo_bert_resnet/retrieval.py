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

from .model import DualEncoder, DualEncoderConfig
from .pins import PINNED_REVISIONS

if TYPE_CHECKING:
    from mmzoo.registry import ModelSpec

SHIPPED = Path(__file__).parent / "weights"


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

    def no_checkpoint_message(self) -> str:
        return "this model needs a trained checkpoint: weights=<folder written by `mmzoo train retrieve`>"

    @torch.inference_mode()
    def embed_texts(self, texts: list[str]) -> np.ndarray:
        return self._chunks(texts, self.encoder.encode_texts)

    @torch.inference_mode()
    def embed_images(self, images: list[Any]) -> np.ndarray:
        return self._chunks(images, lambda part: self.encoder.encode_images(self.encoder.pixels(part)))

    def _chunks(self, items: list[Any], encode: Any) -> np.ndarray:
        parts = [encode(list(items[s:s + self.batch_size])) for s in range(0, len(items), self.batch_size)]
        return torch.cat(parts).float().cpu().numpy()

    def close(self) -> None:
        del self.encoder


class ShapesDualEncoder(DualEncoderRetrieval):
    """Frozen all-MiniLM-L6-v2 text tower + a small CNN, trained by this recipe on the Shapes world."""

    default_weights = SHIPPED / "shapes-minilm-cnn"


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
