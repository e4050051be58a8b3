"""``tts``: text -> speech waveform (and its mel spectrogram)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..media import Audio, check_text
from .base import Input, Model, Task, as_batch, call_with_options, output_paths, unbatch

if TYPE_CHECKING:
    import numpy as np

    from .tab import TabContext


@dataclass
class Speech(Audio):
    """Synthesised speech: a mono float32 waveform, its rate and the text it says."""

    text: str = ""
    voice: str | None = None
    #: the model's own mel spectrogram (n_mels x frames), for models that make one (Tacotron2)
    mel: np.ndarray | None = None
    #: attention of each decoder step over the input symbols (steps x symbols), for attention models
    alignment: np.ndarray | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"text": self.text, "voice": self.voice, "sample_rate": self.sample_rate,
               "samples": int(len(self.waveform)), "duration_s": round(self.duration, 3)}
        if self.alignment is not None:
            out["alignment_shape"] = list(self.alignment.shape)
        return out


class TTSModel(Model):
    """Interface of text-to-speech models."""

    def synthesize(self, texts: list[str], *, voice: str | None = None) -> list[Speech]:
        raise NotImplementedError

    default_voice: str | None = None  # the voice used when none is asked for

    def voices(self) -> list[str]:
        """Voice names this model accepts (empty when it has one voice)."""
        return []


class TTSTask(Task):
    id = "tts"
    title = "Text to speech"
    summary = "Speak a text aloud; see its mel spectrogram."
    interface = TTSModel
    method = "synthesize"
    output_suffix = ".wav"
    inputs = (
        Input("text", "text", "text to speak", positional=True),
        Input("voice", "text", "voice or language, e.g. en-us", required=False),
    )

    def run(self, model: TTSModel, text: Any, **options: Any) -> Speech | list[Speech]:
        texts, was_list = as_batch(text, check_text, "text")
        return unbatch(call_with_options(model.synthesize, texts, **options), was_list)

    def save(self, result: Any, path: Path) -> list[Path]:
        if path.suffix == ".json":
            return super().save(result, path)
        results = result if isinstance(result, list) else [result]
        return [r.save(p) for r, p in zip(results, output_paths(path, len(results)))]

    def build_tab(self, ui: TabContext) -> None:
        import gradio as gr

        with gr.Row():
            with gr.Column():
                model = ui.model_dropdown()
                text = gr.Textbox(label="Text", lines=4, placeholder="Type something to say", elem_id="tts-text")
                voice = gr.Dropdown(label="Voice", value=None, choices=[], allow_custom_value=True)
                speed = gr.Slider(0.5, 2.0, value=1.0, step=0.05, label="Speed (neural voices)")
                with gr.Row():
                    rate = gr.Slider(80, 450, value=175, step=5, label="Rate (words per minute, espeak-ng)")
                    pitch = gr.Slider(0, 99, value=50, step=1, label="Pitch (espeak-ng)")
                button = gr.Button("Speak", variant="primary")
            with gr.Column():
                audio = gr.Audio(label="Speech", type="numpy", format="wav", elem_id="tts-audio")
                speed_note = gr.Markdown(elem_id="tts-speed")
                mel = gr.Image(label="Mel spectrogram", show_label=False, type="pil", format="png", elem_id="tts-mel")
                alignment = gr.Image(label="Alignment (attention models)", show_label=False, type="pil",
                                     format="png", visible=False, elem_id="tts-alignment")

        from ..plots import alignment_plot, spectrogram_plot

        def speak(text: str, voice: str | None = None, speed: float = 1.0, rate: float = 175, pitch: float = 50,
                  model: str | None = None):
            import time

            start = time.perf_counter()
            speech = ui.run(model, text, voice=voice or None, speed=float(speed), rate=int(rate), pitch=int(pitch))
            seconds = time.perf_counter() - start
            note = (f"{speech.duration:.2f} s of speech at {speech.sample_rate} Hz in {seconds:.2f} s: "
                    f"**{speech.duration / max(seconds, 1e-9):.0f}x real time**")
            shown = gr.Image(value=alignment_plot(speech.alignment), visible=True) if speech.alignment is not None \
                else gr.Image(value=None, visible=False)
            return (speech.sample_rate, speech.waveform), note, spectrogram_plot(speech), shown

        def voices(model_id: str):
            loaded = ui.load(model_id)
            return gr.Dropdown(choices=loaded.voices(), value=loaded.default_voice)

        button.click(speak, [text, voice, speed, rate, pitch, model], [audio, speed_note, mel, alignment], api_name="tts")
        ui.on_model_change(model, voices, voice)
        ui.examples([["Hello world, this is mmzoo."], ["The quick brown fox jumps over the lazy dog."]], [text])
