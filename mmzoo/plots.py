"""Plots the app shows, drawn with matplotlib (Agg, no display) into PIL images.

``Figure`` objects are used directly, never ``pyplot``: its global state is not safe across the
app's worker threads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image as PILImage

    from .media import Audio

WIDTH_IN, HEIGHT_IN, DPI = 6.4, 2.8, 100
HOP = 256  # the app's spectrograms: 1024-point STFT, hop 256


def figure_image(draw: Callable[[Any, Any], None], width: float = WIDTH_IN, height: float = HEIGHT_IN) -> PILImage.Image:
    """Render ``draw(figure, axes)`` to an RGB image."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    draw(figure, figure.add_subplot())
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def spectrogram_plot(audio: Audio, n_mels: int = 80) -> PILImage.Image:
    """The audio's log-mel spectrogram (dB) against time in seconds and frequency in Hz."""
    from librosa.display import specshow

    mel_db = audio.mel_spectrogram(n_mels)

    def draw(figure: Any, axes: Any) -> None:
        mesh = specshow(mel_db, sr=audio.sample_rate, hop_length=HOP, x_axis="s", y_axis="mel",
                        fmax=audio.sample_rate / 2, ax=axes, cmap="magma")
        axes.set(xlabel="time (s)", ylabel="frequency (Hz)", title="Mel spectrogram")
        figure.colorbar(mesh, ax=axes, format="%+.0f dB")

    return figure_image(draw)


def alignment_plot(alignment: np.ndarray) -> PILImage.Image:
    """An attention alignment (decoder steps x input symbols): steps across, symbols up, as the
    Tacotron papers draw it."""
    import numpy as np

    weights = np.asarray(alignment, dtype=np.float32).T

    def draw(figure: Any, axes: Any) -> None:
        image = axes.imshow(weights, origin="lower", aspect="auto", interpolation="none", cmap="viridis",
                            vmin=0.0, vmax=max(float(weights.max()), 1e-6))
        axes.set(xlabel="decoder step", ylabel="input character", title="Attention alignment")
        figure.colorbar(image, ax=axes, label="weight")

    return figure_image(draw)


def audio_plot(audio: Audio, at: float | None = None) -> PILImage.Image:
    """The waveform above its log-mel spectrogram, with a line at time ``at`` (seconds) when given."""
    import numpy as np
    from librosa.display import specshow

    mel_db = audio.mel_spectrogram(64)
    times = np.arange(len(audio.waveform)) / audio.sample_rate

    def draw(figure: Any, axes: Any) -> None:
        wave = figure.add_subplot(2, 1, 1, sharex=axes)
        axes.set_subplotspec(figure.add_gridspec(2, 1)[1])
        wave.plot(times, audio.waveform, linewidth=0.5, color="tab:blue")
        wave.set(ylabel="amplitude", xlim=(0, max(audio.duration, 1e-3)))
        wave.tick_params(labelbottom=False)
        specshow(mel_db, sr=audio.sample_rate, hop_length=HOP, x_axis="s", y_axis="mel", fmax=audio.sample_rate / 2,
                 ax=axes, cmap="magma")
        axes.set(xlabel="time (s)", ylabel="Hz")
        if at is not None:
            for ax in (wave, axes):
                ax.axvline(at, color="red", linewidth=1.5)

    return figure_image(draw, height=HEIGHT_IN * 1.3)
