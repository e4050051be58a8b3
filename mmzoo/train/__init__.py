"""The training layer every recipe runs on (imports torch).

- :func:`fit` with a :class:`Recipe` and a :class:`TrainConfig`: the one training loop (run folder,
  checkpoints, resume, validation and ``best/``, progress, device and bf16 autocast on CUDA,
  gradient clipping, optimizer and scheduler state).
- :mod:`~mmzoo.train.checkpoint`: the checkpoint format (``config.json`` + ``model.safetensors``).
- :func:`loop_options`: the click options of those settings, for ``mmzoo train TASK`` commands.
- :func:`precompute`: features of frozen towers, computed once.
- :mod:`~mmzoo.train.losses`: triplet (all / hardest / semi-hard negatives) and InfoNCE losses, guided
  attention (text to speech).
"""

from .checkpoint import load_state, load_weights, read_config, read_weights, save_checkpoint, save_state
from .features import is_frozen, precompute
from .loop import Recipe, RunFolder, TrainConfig, fit
from .options import loop_options

__all__ = ["Recipe", "RunFolder", "TrainConfig", "fit", "loop_options", "is_frozen", "precompute", "save_checkpoint",
           "read_config", "read_weights", "load_weights", "save_state", "load_state"]
