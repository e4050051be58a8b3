"""The command-line options of the settings every recipe shares, for ``mmzoo train TASK`` commands.

    @click.command("mytask")
    @click.option("--out", required=True)
    @loop_options(MyTrainConfig, scheduler=True)
    def train_command(out, **settings): config = MyTrainConfig(**settings)

Defaults come from the recipe's :class:`~mmzoo.train.TrainConfig` subclass, so ``--help`` shows them.
"""

from __future__ import annotations

from typing import Any, Callable

import click

from .loop import SCHEDULERS, TrainConfig


def loop_options(config: type[TrainConfig] = TrainConfig, *, scheduler: bool = False,
                 amp: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator adding --epochs, --batch-size, --lr, [--scheduler], --seed, --device, [--amp/--no-amp]."""
    options = [
        click.option("--epochs", type=int, default=config.epochs),
        click.option("--batch-size", type=int, default=config.batch_size),
        click.option("--lr", type=float, default=config.lr),
    ]
    if scheduler:
        options.append(click.option("--scheduler", type=click.Choice(SCHEDULERS), default=config.scheduler,
                                    help="Learning rate: constant, or cosine decay to 0 over the run."))
    options += [
        click.option("--seed", type=int, default=config.seed),
        click.option("--device", default=config.device, help="auto (cuda when there is one), cpu, cuda, cuda:1, ..."),
    ]
    if amp:
        options.append(click.option("--amp/--no-amp", default=config.amp, help="bfloat16 autocast on cuda."))

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate
