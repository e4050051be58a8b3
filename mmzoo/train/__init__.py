"""Training recipes' shared pieces (losses, loops). These modules import torch: install a plugin
that needs it (e.g. ``mmzoo-bert-resnet``) before using them."""
