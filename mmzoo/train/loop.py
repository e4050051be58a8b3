"""The one training loop: a recipe gives its model, its batch loss and its validation metric.

    history = fit(recipe, TrainConfig(epochs=10, lr=1e-3), out="runs/mine")

A run folder holds ``config.json`` (the training settings and the recipe's), ``history.json``
(one record per epoch), ``epoch-N/`` (the recipe's checkpoint after epoch N), ``best/`` (the
epoch with the best validation metric) and ``last/`` (the newest epoch plus the optimizer and
scheduler state). A run folder that has ``last/`` resumes where it stopped: the same shuffles and
random draws as an uninterrupted run, since every epoch is seeded from ``seed + epoch``.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import torch

from ..devices import resolve_device
from ..errors import InvalidInput
from .checkpoint import load_state, load_weights, save_state

OPTIMIZERS = ("adam", "adamw")
SCHEDULERS = ("constant", "cosine")
HISTORY = "history.json"
RUN_CONFIG = "config.json"
OPTIMIZER_STATE = "optimizer.pt"
SCHEDULER_STATE = "scheduler.pt"


@dataclass
class TrainConfig:
    """Settings every recipe shares; recipes subclass it to add their own."""

    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    optimizer: str = "adam"  # adam or adamw
    weight_decay: float | None = None  # None: the optimizer's default (adam 0, adamw 0.01)
    grad_clip: float | None = None  # max gradient norm; None: no clipping
    scheduler: str = "constant"  # constant, or cosine decay to 0 over all steps
    seed: int = 0
    device: str = "auto"  # auto: cuda when torch sees a GPU, else cpu
    amp: bool = True  # bfloat16 autocast on cuda (cpu always trains in float32)

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"epochs and batch_size must be >= 1, got {self.epochs} and {self.batch_size}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        if self.scheduler not in SCHEDULERS:
            raise ValueError(f"scheduler must be one of {', '.join(SCHEDULERS)}, got {self.scheduler!r}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ValueError(f"grad_clip must be > 0 (or None), got {self.grad_clip}")

    def torch_device(self) -> torch.device:
        return torch.device(resolve_device(None if self.device == "auto" else self.device))


class Recipe:
    """What a training recipe supplies. Subclass it; the loop does the rest.

    - ``model``: the module being trained; ``samples``: what an epoch shuffles and batches.
    - :meth:`loss`: the loss of one batch (a list of samples).
    - :meth:`validate`: metrics on validation data; ``metric`` names the one that picks ``best/``.
    - :meth:`save`: write the model's checkpoint folder (the one ``mmzoo.load(..., weights=)`` reads).
    """

    model: torch.nn.Module
    samples: Sequence[Any]
    metric: str = "loss"  # a key of validate()'s metrics; higher is better, except for names ending in "loss"
    min_batch: int = 1  # smaller batches (the last of an epoch) are skipped
    lengths: Sequence[int] | None = None  # per sample (e.g. audio frames): batch samples of similar length

    def loss(self, batch: list[Any]) -> torch.Tensor:
        raise NotImplementedError

    def validate(self) -> dict[str, float]:
        return {}

    def save(self, folder: Path) -> None:
        raise NotImplementedError

    def restore(self, folder: Path) -> None:
        """Load the weights of a checkpoint written by :meth:`save` (to resume a run)."""
        load_weights(folder, self.model)

    def start_epoch(self, epoch: int) -> dict[str, Any]:
        """Called before each epoch (0-based); what it returns goes into the epoch's record."""
        return {}

    def parameters(self) -> Iterable[torch.nn.Parameter]:
        return [p for p in self.model.parameters() if p.requires_grad]

    def settings(self) -> dict[str, Any]:
        """The recipe's own settings, stored in the run folder's config.json."""
        return {}


def fit(recipe: Recipe, config: TrainConfig, out: str | Path | None = None,
        progress: bool = True) -> list[dict[str, Any]]:
    """Train ``recipe`` for ``config.epochs`` epochs; return one record per epoch (loss, metrics).

    With ``out``, every epoch is checkpointed and a run folder with ``last/`` resumes.
    """
    from tqdm import tqdm

    device = config.torch_device()
    run = RunFolder(out) if out is not None else None
    params = list(recipe.parameters())
    if not params:
        raise InvalidInput("the recipe has no trainable parameters")
    optimizer = _optimizer(params, config)
    steps = config.epochs * max(1, _batch_count(len(recipe.samples), config.batch_size, recipe.min_batch))
    scheduler = (torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps) if config.scheduler == "cosine"
                 else torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0))
    history: list[dict[str, Any]] = []
    if run is not None:
        history = run.resume(recipe, optimizer, scheduler, device)
        run.write_config(config, recipe.settings())
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.amp and device.type == "cuda")
    for epoch in range(len(history), config.epochs):
        started = time.perf_counter()
        info = recipe.start_epoch(epoch)
        torch.manual_seed(config.seed + epoch)
        batches = list(_batches(recipe.samples, config.batch_size, recipe.min_batch, random.Random(config.seed + epoch),
                                recipe.lengths))
        recipe.model.train()
        total = 0.0
        bar = tqdm(batches, desc=f"epoch {epoch + 1}/{config.epochs}", unit="batch", disable=not progress, leave=False)
        for step, batch in enumerate(bar, 1):
            with autocast:
                loss = recipe.loss(batch)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"loss is {loss.item()} at epoch {epoch + 1}, step {step}; lower the lr")
            optimizer.zero_grad()
            loss.backward()
            if config.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(params, config.grad_clip)
            optimizer.step()
            scheduler.step()
            total += loss.item()
            bar.set_postfix(loss=f"{total / step:.4f}")
        recipe.model.eval()
        with torch.no_grad():
            metrics = recipe.validate()
        record = {"epoch": epoch + 1, **info, "loss": total / max(len(batches), 1), **metrics,
                  "seconds": round(time.perf_counter() - started, 2)}
        history.append(record)
        if run is not None:
            run.commit(recipe, optimizer, scheduler, config, history)
    return history


def _optimizer(params: list[torch.nn.Parameter], config: TrainConfig) -> torch.optim.Optimizer:
    kind = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.Adam
    extra = {} if config.weight_decay is None else {"weight_decay": config.weight_decay}
    return kind(params, lr=config.lr, **extra)


def _batch_count(n: int, size: int, minimum: int) -> int:
    full, rest = divmod(n, size)
    return full + (1 if rest and rest >= minimum else 0)


BUCKET_BATCHES = 50  # length bucketing sorts pools of this many batches


def _batches(samples: Sequence[Any], size: int, minimum: int, rng: random.Random,
             lengths: Sequence[int] | None = None) -> Iterator[list[Any]]:
    """Shuffled batches. With ``lengths``, each pool of :data:`BUCKET_BATCHES` shuffled batches is sorted
    by length before it is cut, and the batches are shuffled again: padding shrinks, the order stays random."""
    order = list(range(len(samples)))
    rng.shuffle(order)
    if lengths is not None:
        if len(lengths) != len(samples):
            raise ValueError(f"{len(lengths)} lengths for {len(samples)} samples")
        pool = size * BUCKET_BATCHES
        order = [i for start in range(0, len(order), pool)
                 for i in sorted(order[start:start + pool], key=lambda i: lengths[i])]
    chunks = [order[start:start + size] for start in range(0, len(order), size)]
    if lengths is not None:
        rng.shuffle(chunks)
    for chunk in chunks:
        if len(chunk) >= minimum:
            yield [samples[i] for i in chunk]


def is_better(metric: str, value: float, best: float | None) -> bool:
    if best is None or math.isnan(best):
        return not math.isnan(value)
    return value < best if metric.endswith("loss") else value > best


class RunFolder:
    """A training run on disk: config.json, history.json, epoch-N/, best/, last/ (see the module)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def last(self) -> Path:
        return self.path / "last"

    @property
    def best(self) -> Path:
        return self.path / "best"

    def epoch(self, number: int) -> Path:
        return self.path / f"epoch-{number}"

    def history(self) -> list[dict[str, Any]]:
        path = self.path / HISTORY
        return json.loads(path.read_text())["epochs"] if path.is_file() else []

    def resumable(self) -> bool:
        """Whether ``last/`` holds a complete training state."""
        self._recover_last()
        return (self.last / OPTIMIZER_STATE).is_file() and bool(self.history())

    def resume(self, recipe: Recipe, optimizer: torch.optim.Optimizer, scheduler: Any,
               device: torch.device) -> list[dict[str, Any]]:
        """Load ``last/`` into the recipe, optimizer and scheduler; return the history so far."""
        if not self.resumable():
            return []
        recipe.restore(self.last)
        optimizer.load_state_dict(load_state(self.last / OPTIMIZER_STATE, device))
        if (self.last / SCHEDULER_STATE).is_file():
            scheduler.load_state_dict(load_state(self.last / SCHEDULER_STATE))
        return self.history()

    def write_config(self, config: TrainConfig, settings: dict[str, Any]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / RUN_CONFIG).write_text(json.dumps({"train": asdict(config), "recipe": settings}, indent=2) + "\n")

    def commit(self, recipe: Recipe, optimizer: torch.optim.Optimizer, scheduler: Any, config: TrainConfig,
               history: list[dict[str, Any]]) -> None:
        """Checkpoint the epoch just finished: epoch-N/, then last/ (+ training state), best/, history."""
        record = history[-1]
        folder = self.epoch(record["epoch"])
        recipe.save(folder)
        staging = self.path / ".last-new"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(folder, staging)
        save_state(staging / OPTIMIZER_STATE, optimizer.state_dict())
        save_state(staging / SCHEDULER_STATE, scheduler.state_dict())
        self._replace(staging, self.last)
        previous = [r.get(recipe.metric) for r in history[:-1] if r.get(recipe.metric) is not None]
        best = None
        for value in previous:
            best = value if is_better(recipe.metric, value, best) else best
        if record.get(recipe.metric) is not None and is_better(recipe.metric, record[recipe.metric], best):
            staging = self.path / ".best-new"
            shutil.rmtree(staging, ignore_errors=True)
            shutil.copytree(folder, staging)
            self._replace(staging, self.best)
        text = json.dumps({"train": asdict(config), "epochs": history}, indent=2) + "\n"
        (self.path / (HISTORY + ".tmp")).write_text(text)
        os.replace(self.path / (HISTORY + ".tmp"), self.path / HISTORY)

    def _replace(self, new: Path, target: Path) -> None:
        """Swap ``new`` in for ``target`` so that a crash leaves one of them (see :meth:`_recover_last`)."""
        old = target.with_name(f".{target.name}-old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        new.rename(target)
        shutil.rmtree(old, ignore_errors=True)

    def _recover_last(self) -> None:
        old = self.path / ".last-old"
        if not self.last.exists() and old.is_dir():  # interrupted between the two renames
            old.rename(self.last)
