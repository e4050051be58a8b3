"""Samplers by the names the popular web UIs give them, as diffusers scheduler classes.

Each is made with ``Class.from_config(pipe.scheduler.config, **extra)``: the pipeline's own noise
schedule (betas, timestep spacing, prediction type), stepped by another solver.
"""

from __future__ import annotations

from typing import Any

from mmzoo.errors import InvalidInput, MissingDependency
from mmzoo.weights import first_line

DEFAULT = "default"  # the scheduler the pipeline ships with (PNDM for Stable Diffusion 1.x)
SCHEDULERS: dict[str, tuple[str, dict[str, Any]]] = {
    "Euler a": ("EulerAncestralDiscreteScheduler", {}),
    "Euler": ("EulerDiscreteScheduler", {}),
    "DPM++ 2M": ("DPMSolverMultistepScheduler", {}),
    "DPM++ 2M Karras": ("DPMSolverMultistepScheduler", {"use_karras_sigmas": True}),
    "DDIM": ("DDIMScheduler", {}),
    "PNDM": ("PNDMScheduler", {}),
    "LMS": ("LMSDiscreteScheduler", {}),
    "UniPC": ("UniPCMultistepScheduler", {}),
}
NAMES = (DEFAULT, *SCHEDULERS)


def make(name: str, shipped: Any) -> Any:
    """The scheduler called ``name``, on the schedule of ``shipped`` (the pipeline's own scheduler)."""
    if name == DEFAULT:
        return shipped
    if name not in SCHEDULERS:
        raise InvalidInput(f"unknown scheduler {name!r}; use one of: {', '.join(map(repr, NAMES))}")
    import diffusers

    class_name, extra = SCHEDULERS[name]
    try:
        return getattr(diffusers, class_name).from_config(shipped.config, **extra)
    except ImportError as exc:  # diffusers' stand-in for a class whose extra package is missing (LMS: scipy)
        raise MissingDependency(f"scheduler {name!r} needs a package diffusers did not find ({first_line(exc)})") from None


def name_of(scheduler: Any) -> str:
    """The name of a scheduler instance as :data:`SCHEDULERS` calls its class ("PNDM"), else its class."""
    cls = type(scheduler).__name__
    return next((name for name, (class_name, extra) in SCHEDULERS.items() if class_name == cls and not extra), cls)
