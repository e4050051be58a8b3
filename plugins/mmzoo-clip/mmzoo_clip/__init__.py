"""mmzoo plugin: CLIP dual encoders from open_clip, for text<->image retrieval and zero-shot labels.

A model is an open_clip architecture plus a pretrained tag (``ViT-B-32`` + ``openai``). Weights load
through open_clip's own code and cache (the Hugging Face cache: ``HF_HOME``, ``HF_HUB_CACHE``,
``HF_HUB_OFFLINE``) from one of these sources, given as ``pretrained=`` or, for ``mmzoo.load``, ``weights=``:

- a pretrained tag of the architecture (``"laion2b_s34b_b79k"``); ``mmzoo download MODEL`` fetches it;
- ``"hf-hub:org/repo"``: an open_clip repository on the Hugging Face hub;
- ``"local-dir:/path"`` or a plain folder: ``open_clip_config.json`` + ``open_clip_model.safetensors``
  (the layout of open_clip hub repositories);
- a ``.safetensors`` file (or a weights-only ``torch.save`` file) of the architecture's state dict.

torch and open_clip are imported only when a model loads, so listing models stays fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import mmzoo
from mmzoo.devices import resolve_device
from mmzoo.errors import InvalidInput, WeightsUnavailable
from mmzoo.tasks.retrieve import RetrievalModel
from mmzoo.weights import first_line, missing_files, unreachable, weights_unavailable

if TYPE_CHECKING:
    import numpy as np

# mmzoo dtype names -> open_clip precisions. "fp16"/"bf16" are open_clip's (and OpenAI's) mixed
# precision: matmul weights in low precision, layer norms in float32.
PRECISIONS = {"float32": "fp32", "fp32": "fp32", "float16": "fp16", "fp16": "fp16", "half": "fp16",
              "bfloat16": "bf16", "bf16": "bf16"}
SCHEMAS = ("hf-hub:", "local-dir:")
# Formats open_clip reads without torch.load (numpy's np.load refuses pickles by default).
SAFE_SUFFIXES = (".safetensors", ".npz", ".npy")
INSTALL_HINT = "pip install mmzoo-clip (needs open_clip_torch and torch)"


class OpenCLIP(RetrievalModel):
    """An open_clip model: ``model_name`` (an architecture, or an ``hf-hub:``/``local-dir:`` source)
    with ``pretrained`` weights (a tag, a file or a folder; ``weights=`` takes precedence)."""

    model_id: str | None = None  # the mmzoo id of a registered subclass, named in error messages
    model_name: str = "ViT-B-32"
    pretrained: str | None = None
    size_mb: float | None = None
    license: str | None = None
    hf_hub: str | None = None  # the tag's entry in open_clip's pretrained table: where its weights are cached
    summary: str = ""

    def __init__(self, *, model_name: str | None = None, pretrained: str | None = None,
                 weights: str | os.PathLike | None = None, device: str | None = None, dtype: str | None = None,
                 batch_size: int = 32) -> None:
        import open_clip
        import torch

        self.device = resolve_device(device)
        precision = _precision(dtype)
        self.batch_size = batch_size
        source = os.fspath(weights) if weights is not None else pretrained or self.pretrained
        name, tag, checkpoint = self._locate(model_name or self.model_name, source)
        _check_safe(checkpoint)
        schema = name.startswith(SCHEMAS)  # then the config and weights come from the source itself
        # A tag's weights are handed over as the file just fetched (checked above, and not looked up on
        # the hub a second time), with the activation and preprocessing the tag was trained with.
        options = {} if schema else _tag_options(name, tag or self.pretrained)
        try:
            model, _, self._preprocess = open_clip.create_model_and_transforms(
                name, pretrained=None if schema else checkpoint, precision=precision, device=self.device,
                weights_only=True,  # torch.load of .bin/.pt files: tensors only, no code
                require_pretrained=True,  # open_clip would otherwise return random weights with a warning
                **options)
            self._tokenizer = open_clip.get_tokenizer(name)
        except OSError as exc:  # e.g. an HF tokenizer named by a hub config, not cached
            raise self._unavailable(f"files of {name}", first_line(exc)) from None
        self._model = model.eval()
        self._input_dtype = open_clip.get_input_dtype(precision) or torch.float32
        self.logit_scale = float(model.logit_scale.detach().exp())
        # The 80 prompts of OpenAI's ImageNet zero-shot evaluation, as format strings.
        self.templates = tuple(template("{}") for template in open_clip.OPENAI_IMAGENET_TEMPLATES)

    # -- the retrieval interface -------------------------------------------------------------
    def embed_texts(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, lambda chunk: self._model.encode_text(self._tokenizer(chunk).to(self.device)))

    def embed_images(self, images: list[Any]) -> np.ndarray:
        import torch

        def encode(chunk: Sequence[Any]) -> torch.Tensor:
            pixels = torch.stack([self._preprocess(image.convert("RGB")) for image in chunk])
            return self._model.encode_image(pixels.to(self.device, self._input_dtype))

        return self._embed(images, encode)

    def _embed(self, items: Sequence[Any], encode: Callable[[Sequence[Any]], Any]) -> np.ndarray:
        import torch

        if self._model is None:
            raise InvalidInput(f"{self.model_id or self.model_name} was closed; load it again")
        if not items:
            raise InvalidInput("nothing to embed: the list is empty")
        with torch.inference_mode():
            # Normalise in float32 so rows are unit length whatever precision the model runs in.
            parts = [torch.nn.functional.normalize(encode(items[i:i + self.batch_size]).float(), dim=-1).cpu()
                     for i in range(0, len(items), self.batch_size)]
        return torch.cat(parts).numpy()

    def close(self) -> None:
        self._model = self._tokenizer = self._preprocess = None
        if self.device.startswith("cuda"):
            import torch

            torch.cuda.empty_cache()

    # -- weights -----------------------------------------------------------------------------
    @classmethod
    def download(cls, spec: mmzoo.ModelSpec) -> str:
        """Fetch the weights of the pretrained tag into the Hugging Face cache (``mmzoo download``)."""
        _, _, checkpoint = cls._locate(cls.model_name, cls.pretrained)
        return f"{spec.id}: {cls.model_name}/{cls.pretrained} weights cached at {checkpoint}"

    @classmethod
    def _locate(cls, name: str, source: str | None) -> tuple[str, str | None, str]:
        """``(model_name, tag, checkpoint file)`` for open_clip; hub files are fetched into the cache."""
        from open_clip import pretrained as hub
        from open_clip.factory import _find_checkpoint_in_dir

        if source and source.startswith(SCHEMAS):  # a schema names config and weights together
            name, source = source, None
        elif source and os.path.isdir(source):
            name, source = f"local-dir:{source}", None

        if name.startswith("local-dir:"):
            folder = Path(name.removeprefix("local-dir:"))
            if not (folder / "open_clip_config.json").is_file():
                raise WeightsUnavailable(f"{folder} is not an open_clip model folder: open_clip_config.json is missing "
                                         f"(expected open_clip_config.json + open_clip_model.safetensors)")
            # The same lookup open_clip makes, so the file checked below is the file it loads.
            checkpoint = _find_checkpoint_in_dir(folder) if folder.is_dir() else None
            if checkpoint is None:
                raise WeightsUnavailable(f"{folder} has no weights file (open_clip_model.safetensors)")
            return name, None, checkpoint
        if name.startswith("hf-hub:"):
            repo = name.removeprefix("hf-hub:")
            what = f"hub repository {repo}"
            cls._check_reachable(what, mmzoo.Weights(source="hf", repo=repo, files=("open_clip_config.json",)),
                                 mmzoo.Weights(source="open_clip", repo=repo, hf_hub=f"{repo}/"))
            try:
                hub.download_pretrained_from_hf(repo, filename="open_clip_config.json")
                return name, None, hub.download_pretrained_from_hf(repo)
            except Exception as exc:  # offline, not cached, no such repo: open_clip wraps them all
                raise cls._unavailable(what, first_line(exc, 200)) from None

        import open_clip

        if name not in open_clip.list_models():
            raise InvalidInput(f"unknown open_clip architecture {name!r}; see open_clip.list_models(), "
                               f"or give 'hf-hub:org/repo' or 'local-dir:/path'")
        if source and hub.is_pretrained_cfg(name, source):
            config = hub.get_pretrained_cfg(name, source)
            what = f"open_clip weights {name}/{source} ({config.get('hf_hub') or config.get('url')})"
            if config.get("hf_hub"):  # (a tag with only a URL downloads once, without retries)
                cls._check_reachable(what, mmzoo.Weights(source="open_clip", repo=f"{name}/{source}",
                                                         hf_hub=config["hf_hub"]))
            try:
                return name, source, hub.download_pretrained(config)
            except Exception as exc:
                raise cls._unavailable(what, first_line(exc, 200)) from None
        if source and os.path.isfile(source):
            return name, None, source
        tags = ", ".join(hub.list_pretrained_tags_by_model(name)) or "none"
        if source and (os.sep in source or "/" in source or Path(source).suffix):
            raise WeightsUnavailable(f"weights file or folder {source} does not exist")
        given = f"{source!r} is neither a pretrained tag nor a file or folder" if source else "none given"
        raise InvalidInput(f"no weights for {name}: {given}; its tags: {tags} (random weights are never used)")

    @classmethod
    def _check_reachable(cls, what: str, *needed: mmzoo.Weights) -> None:
        """Fail within seconds when ``needed`` files are not cached and the hub cannot be reached (the hub
        library would retry for most of a minute); with the files cached, or the hub up, do nothing."""
        if any(missing_files(weights) for weights in needed):
            reason = unreachable()
            if reason:
                raise cls._unavailable(what, reason)

    @classmethod
    def _unavailable(cls, what: str, reason: str) -> WeightsUnavailable:
        return weights_unavailable(cls.model_id, what, reason, size_mb=cls.size_mb,
                                   local="folder with open_clip_config.json and open_clip_model.safetensors")


# -- the registered models: one subclass per architecture + tag, so `mmzoo download` knows what to fetch --


class ClipViTB32OpenAI(OpenCLIP):
    model_id = "retrieve/clip-vit-b-32-openai"
    model_name, pretrained, size_mb, license = "ViT-B-32", "openai", 605, "MIT"
    hf_hub = "timm/vit_base_patch32_clip_224.openai/"
    summary = "CLIP ViT-B/32, OpenAI's original weights (open_clip); zero-shot labels"


class ClipViTB32Laion2B(OpenCLIP):
    model_id = "retrieve/clip-vit-b-32-laion2b"
    model_name, pretrained, size_mb, license = "ViT-B-32", "laion2b_s34b_b79k", 605, "MIT"
    hf_hub = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K/"
    summary = "CLIP ViT-B/32 trained by LAION on LAION-2B (open_clip); zero-shot labels"


class ClipViTB16Laion2B(OpenCLIP):
    model_id = "retrieve/clip-vit-b-16-laion2b"
    model_name, pretrained, size_mb, license = "ViT-B-16", "laion2b_s34b_b88k", 598, "MIT"
    hf_hub = "laion/CLIP-ViT-B-16-laion2B-s34B-b88K/"
    summary = "CLIP ViT-B/16 trained by LAION on LAION-2B (open_clip): finer patches, slower"


MODELS = (ClipViTB32OpenAI, ClipViTB32Laion2B, ClipViTB16Laion2B)


@mmzoo.hookimpl
def register_models(register):
    for cls in MODELS:
        register(mmzoo.ModelSpec(
            id=cls.model_id,
            summary=cls.summary,
            factory=f"{__name__}:{cls.__name__}",  # a string: listing models imports neither torch nor open_clip
            weights=mmzoo.Weights(source="open_clip", repo=f"{cls.model_name}/{cls.pretrained}", hf_hub=cls.hf_hub,
                                  size_mb=cls.size_mb, license=cls.license),
            requires=("open_clip", "torch"),
            install_hint=INSTALL_HINT,
        ))


# -- helpers -----------------------------------------------------------------------------------




def _precision(dtype: Any) -> str:
    if dtype is None:
        return "fp32"  # float32 by default, on every device, like diffusers
    name = str(dtype).removeprefix("torch.")  # accept torch.float16 as well as "float16"
    if name not in PRECISIONS:
        raise InvalidInput(f"unsupported dtype {dtype!r}; use one of {', '.join(PRECISIONS)}")
    return PRECISIONS[name]


def _tag_options(name: str, tag: str | None) -> dict[str, Any]:
    """The activation and preprocessing a tag was trained with (all of a tag's settings besides where
    its weights are). OpenAI's weights need QuickGELU: open_clip only warns when it is missing."""
    from open_clip.pretrained import get_pretrained_cfg

    config = get_pretrained_cfg(name, tag) if tag else {}
    if not config:
        return {}
    return {"force_quick_gelu": bool(config.get("quick_gelu")), "image_mean": config.get("mean"),
            "image_std": config.get("std"), "image_interpolation": config.get("interpolation"),
            "image_resize_mode": config.get("resize_mode")}


def _check_safe(checkpoint: str) -> None:
    """Refuse a pickled checkpoint unless it loads with ``torch.load(weights_only=True)``.

    open_clip loads .bin/.pt/.pth files weights-only, but retries with a full (code-running) unpickle
    when that raises TypeError, which a crafted file can trigger; so prove the file loads weights-only
    first. mmap keeps this check cheap: tensors are mapped, not read."""
    if checkpoint.endswith(SAFE_SUFFIXES):
        return
    import torch

    try:
        torch.load(checkpoint, map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:
        raise InvalidInput(f"refusing to load {checkpoint}: it is not a safetensors file and does not load with "
                           f"torch.load(weights_only=True) ({type(exc).__name__}); convert it to safetensors") from None
