"""Small, deterministic test models for the tasks whose real models come from later plugins.

They are real implementations of the task interfaces (colour arithmetic, no learning), so the
tests can check that the core routes inputs, options and results correctly through the API,
the CLI and the app.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

import mmzoo
from mmzoo.tasks.avmatch import AVMatchModel
from mmzoo.tasks.caption import CaptionModel, CaptionResult
from mmzoo.tasks.retrieve import RetrievalModel
from mmzoo.tasks.text2image import GeneratedImage, TextToImageModel
from mmzoo.tasks.vqa import Answer, VQAModel, VQAResult

COLOURS = {"red": (220, 30, 30), "green": (30, 200, 30), "blue": (30, 30, 220)}


def colour_image(name: str, size: int = 64) -> Image.Image:
    return Image.new("RGB", (size, size), COLOURS[name])


def dominant(image: Image.Image) -> str:
    mean = np.asarray(image.convert("RGB"), dtype=float).reshape(-1, 3).mean(axis=0)
    return min(COLOURS, key=lambda c: np.linalg.norm(mean - np.array(COLOURS[c])))


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


class ColourRetrieval(RetrievalModel):
    """Texts and images embed as how red/green/blue they are."""

    def embed_texts(self, texts):
        return _unit(np.array([[1.0 + 9 * (c in t.lower()) for c in COLOURS] for t in texts]))

    def embed_images(self, images):
        return _unit(np.array([[1.0 + 9 * (c == dominant(i)) for c in COLOURS] for i in images]))


class ColourCaptioner(CaptionModel):
    def caption(self, images, *, num_captions: int = 1):
        return [CaptionResult([f"a {dominant(i)} square"] + [f"something {dominant(i)}"] * (num_captions - 1))
                for i in images]


class ColourVQA(VQAModel):
    def answer(self, images, questions, *, top_k: int = 1):
        return [VQAResult(q, [Answer(dominant(i), 0.9), Answer("yes", 0.1)][:top_k]) for i, q in zip(images, questions)]


class ColourPainter(TextToImageModel):
    """Paints the colour named in the prompt: everywhere, or only inside the mask."""

    modes = ("generate", "edit", "inpaint")

    def generate(self, prompts, *, seeds, images=None, masks=None):
        out = []
        for i, prompt in enumerate(prompts):
            colour = next((c for c in COLOURS if c in prompt), "red")
            base = images[i] if images else Image.new("RGB", (64, 64), "white")
            paint = Image.new("RGB", base.size, COLOURS[colour])
            mask = masks[i] if masks else Image.new("L", base.size, 255)
            out.append(GeneratedImage(Image.composite(paint, base, mask), prompt,
                                      "inpaint" if masks else "edit" if images else "generate", seeds[i]))
        return out


class LoudnessMatcher(AVMatchModel):
    """Loud audio matches bright images; quiet audio matches dark ones."""

    def embed_audio(self, audios):
        return _unit(np.array([[float(np.abs(a.waveform).mean()) * 4 + 0.01, 0.25] for a in audios]))

    def embed_images(self, images):
        return _unit(np.array([[np.asarray(i.convert("L"), float).mean() / 255 + 0.01, 0.25] for i in images]))

    def matchmap(self, audio, image):
        frames = max(1, len(audio.waveform) // 1000)
        gray = np.asarray(image.convert("L").resize((8, 8)), dtype=np.float32) / 255
        return np.repeat(gray[None], frames, axis=0)


class DoublesPlugin:
    """Registers one double per task without a real model yet."""

    @mmzoo.hookimpl
    def register_models(self, register):
        for model_id, factory in [("retrieve/colour", ColourRetrieval), ("caption/colour", ColourCaptioner),
                                  ("vqa/colour", ColourVQA), ("text2image/colour", ColourPainter),
                                  ("avmatch/loudness", LoudnessMatcher)]:
            register(mmzoo.ModelSpec(id=model_id, summary=f"test double {factory.__name__}", factory=factory))


def write_tone(path, amplitude: float, seconds: float = 0.5, rate: int = 16000) -> Any:
    import soundfile

    t = np.arange(int(seconds * rate)) / rate
    soundfile.write(path, (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.float32), rate)
    return path
