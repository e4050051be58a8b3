"""Generation parameters in a PNG, in the text format of the popular Stable Diffusion web UIs.

A generated PNG carries a ``parameters`` text chunk that AUTOMATIC1111's and Forge's "PNG Info",
ComfyUI's importers and image hosts such as Civitai read back::

    a red circle
    Negative prompt: blurry
    Steps: 25, Sampler: DDIM, CFG scale: 3.0, Seed: 7, Size: 64x64, Model: text2image/shapes-diffusion

A value holding a comma, colon or quote is written as a JSON string, as those UIs do. Keys the
UIs do not know (``Model revision``, ``Mode``) are kept by their parsers. :func:`read_parameters`
turns the text back into ``mmzoo.run("text2image", ...)`` keyword arguments.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

CHUNK = "parameters"
NEGATIVE = "Negative prompt: "
#: infotext key -> (parameter name, type); in the order written
FIELDS = (
    ("Steps", "steps", int), ("Sampler", "scheduler", str), ("CFG scale", "guidance_scale", float),
    ("Seed", "seed", int), ("Size", "size", str), ("Model", "model", str), ("Model revision", "revision", str),
    ("Denoising strength", "strength", float), ("Mode", "mode", str),
)
_PAIR = re.compile(r'\s*([\w ]+):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)')


def _quote(value: Any) -> str:
    text = str(value)
    return json.dumps(text) if any(c in text for c in ',:"') else text


def infotext(prompt: str, seed: int | None, mode: str, parameters: dict[str, Any]) -> str:
    """The web UIs' text for one generated image."""
    values = {**parameters, "seed": seed, "mode": mode if mode != "generate" else None}
    if parameters.get("width") and parameters.get("height"):
        values["size"] = f"{parameters['width']}x{parameters['height']}"
    fields = [f"{key}: {_quote(values[name])}" for key, name, _ in FIELDS if values.get(name) is not None]
    lines = [prompt]
    if parameters.get("negative_prompt"):
        lines.append(NEGATIVE + str(parameters["negative_prompt"]))
    return "\n".join(lines + [", ".join(fields)])


def parse_infotext(text: str) -> dict[str, Any]:
    """The text of :func:`infotext` (or of the web UIs) as ``mmzoo.run`` keyword arguments: prompt,
    negative_prompt, steps, scheduler, guidance_scale, seed, width, height, model, revision, strength;
    keys mmzoo does not know are returned under their own names."""
    lines = text.strip().split("\n")
    settings = lines.pop() if len(lines) > 1 and len(_PAIR.findall(lines[-1])) >= 3 else ""  # as the web UIs tell it
    prompt, negative = [], []
    for line in lines:
        (negative if negative or line.startswith(NEGATIVE) else prompt).append(line)
    out: dict[str, Any] = {"prompt": "\n".join(prompt)}
    if negative:
        out["negative_prompt"] = "\n".join(negative)[len(NEGATIVE):]
    known = {key: (name, kind) for key, name, kind in FIELDS}
    for key, raw in _PAIR.findall(settings):
        key, raw = key.strip(), raw.strip()
        value = json.loads(raw) if raw.startswith('"') else raw
        name, kind = known.get(key, (key, str))
        try:
            value = kind(value)
        except ValueError:
            pass  # kept as text
        if name == "size" and "x" in str(value):
            width, _, height = str(value).partition("x")
            out["width"], out["height"] = int(width), int(height)
        elif name != "mode":
            out[name] = value
    return out


def read_parameters(source: str | Path | Any) -> dict[str, Any]:
    """The generation parameters of a PNG (a path or a PIL image); {} when it has none."""
    from PIL import Image

    image = Image.open(source) if isinstance(source, (str, Path)) else source
    text = image.info.get(CHUNK) if hasattr(image, "info") else None
    return parse_infotext(text) if text else {}


def png_info(text: str) -> Any:
    """A ``PngInfo`` holding ``text`` as the ``parameters`` chunk (for ``Image.save(pnginfo=...)``)."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text(CHUNK, text)  # tEXt; iTXt (UTF-8) when the text is not Latin-1
    return info
