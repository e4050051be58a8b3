"""``mmzoo train tts``: a small Tacotron2 on a corpus spoken by ``tts/hibari`` (:mod:`.corpus`).

torchaudio's Tacotron2 class with a reduced configuration, predicting ``--frames-per-step`` mel
frames a decoder step (stacked frames, :mod:`.features`), trained with teacher forcing on masked
mean squared errors of the mel spectrogram before and after the postnet, a weighted stop-token
loss and the guided attention loss (:func:`mmzoo.train.losses.guided_attention_loss`), which makes
attention diagonal within a few hundred steps instead of thousands. Its mel spectrograms are those
the bundles' Griffin-Lim vocoder inverts, so the checkpoint loads as
``mmzoo.load("tts/tacotron2-griffinlim-char", weights=RUN/best)``.

Validation (the last ``VALIDATION`` sentences of the corpus, never trained on): the teacher-forced
loss (picks ``best/``), and free-running synthesis of a few of them: ``stops``, the share whose decoder
stops by itself within half to twice the teacher's length, and ``attention_focus``, the sharpness of the
attention (the mean of each step's largest weight).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import torch
import torch.nn.functional as F

from mmzoo.errors import InvalidInput
from mmzoo.train import Recipe, fit, loop_options, save_checkpoint
from mmzoo.train import TrainConfig as BaseConfig
from mmzoo.train.losses import guided_attention_loss

from .corpus import Corpus, corpus_sentences, synthesise
from .features import N_MELS, BandNorm, stack_frames

VALIDATION = 32
FREE_RUNNING = 8  # validation sentences synthesised without teacher forcing each epoch


@dataclass
class TrainConfig(BaseConfig):
    epochs: int = 30
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float | None = 1e-6
    grad_clip: float | None = 1.0


def small_tacotron2(width: int = 128, frames_per_step: int = 3, max_steps: int = 1000) -> dict[str, Any]:
    """Tacotron2 settings (torchaudio names) of a model ``width`` wide: ~2M parameters at 128."""
    return {"mask_padding": False, "n_mels": N_MELS * frames_per_step, "symbol_embedding_dim": width,
            "encoder_embedding_dim": width, "encoder_n_convolution": 3, "decoder_rnn_dim": 2 * width,
            "attention_rnn_dim": 2 * width, "attention_hidden_dim": 64, "attention_location_n_filter": 16,
            "attention_location_kernel_size": 15, "prenet_dim": width, "postnet_n_convolution": 3,
            "postnet_embedding_dim": width, "decoder_max_step": max_steps}


def text_processor() -> Any:
    import torchaudio

    return torchaudio.pipelines.TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH.get_text_processor()


def bundle_params() -> dict[str, Any]:
    import torchaudio

    return dict(torchaudio.pipelines.TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH._tacotron2_params)


class Tacotron2Recipe(Recipe):
    metric = "val_loss"
    min_batch = 2

    def __init__(self, corpus: Corpus, settings: dict[str, Any], frames_per_step: int, device: torch.device,
                 guided_sigma: float = 0.2, guided_weight: float = 1.0) -> None:
        from torchaudio.models import Tacotron2

        self.corpus, self.settings_, self.r, self.device = corpus, settings, frames_per_step, device
        self.guided_sigma, self.guided_weight = guided_sigma, guided_weight
        self.model = Tacotron2(**{**bundle_params(), **settings}).to(device)
        self.text = text_processor()
        if len(corpus.texts) <= VALIDATION + 1:
            raise InvalidInput(f"the corpus needs more than {VALIDATION + 1} sentences, has {len(corpus.texts)}")
        self.norm = BandNorm.fit(corpus.mels[:len(corpus.mels) - VALIDATION])  # training sentences only
        self.targets = [stack_frames(self.norm(m), frames_per_step) for m in corpus.mels]
        self.samples = list(range(len(corpus.texts) - VALIDATION))
        self.held = list(range(len(corpus.texts) - VALIDATION, len(corpus.texts)))

    def _batch(self, rows: list[int]) -> tuple[torch.Tensor, ...]:
        tokens, token_lengths = self.text([self.corpus.texts[i] for i in rows])
        order = torch.argsort(token_lengths, descending=True)  # the encoder packs sequences longest first
        rows = [rows[i] for i in order.tolist()]
        targets = [self.targets[i] for i in rows]
        steps = torch.tensor([t.shape[1] for t in targets])
        mel = torch.zeros(len(rows), targets[0].shape[0], int(steps.max()))  # padding: masked out of the loss
        for b, t in enumerate(targets):
            mel[b, :, :t.shape[1]] = t
        return (tokens[order].to(self.device), token_lengths[order].to(self.device), mel.to(self.device),
                steps.to(self.device))

    def losses(self, rows: list[int]) -> dict[str, torch.Tensor]:
        tokens, token_lengths, mel, steps = self._batch(rows)
        before, after, gate, alignments = self.model(tokens, token_lengths, mel, steps)
        frames = torch.arange(mel.shape[2], device=self.device)[None, :]
        real = (frames < steps[:, None]).float()
        cells = real.sum() * mel.shape[1]
        mse = lambda out: (((out - mel) ** 2) * real[:, None]).sum() / cells  # noqa: E731
        stop = (frames >= steps[:, None] - 1).float()
        # Unweighted: weighing the one "stop" step up (pos_weight) shifts every probability up, and the
        # decoder, uncertain at its first step, then stops there (measured: every sentence, epoch 4).
        stop_loss = (F.binary_cross_entropy_with_logits(gate, stop, reduction="none") * real).sum() / real.sum()
        guided = guided_attention_loss(alignments, token_lengths, steps, self.guided_sigma)
        return {"mel": mse(before) + mse(after), "stop": stop_loss, "guided": guided,
                "total": mse(before) + mse(after) + stop_loss + self.guided_weight * guided}

    def loss(self, batch: list[int]) -> torch.Tensor:
        return self.losses(batch)["total"]

    def validate(self) -> dict[str, float]:
        state = torch.random.get_rng_state()
        torch.manual_seed(1234)  # the prenet's dropout stays on: the same draws each epoch
        parts = self.losses(self.held)
        rows = self.held[:FREE_RUNNING]
        tokens, token_lengths, _, wanted = self._batch(rows)
        with warnings.catch_warnings():  # an untrained decoder runs to its limit: that is what "stops" counts
            warnings.simplefilter("ignore")
            _, steps, alignments = self.model.infer(tokens, token_lengths)
        torch.random.set_rng_state(state)
        ratio = steps.float() / wanted.float()  # decoder steps taken against those of the teacher's recording
        stopped = ((ratio >= 0.5) & (ratio <= 2.0)).float().mean()
        focus = torch.stack([alignments[b, :int(steps[b]), :int(token_lengths[b])].max(dim=1).values.mean()
                             for b in range(len(rows))]).mean()
        return {"val_loss": parts["total"].item(), "val_mel": parts["mel"].item(), "val_guided": parts["guided"].item(),
                "stops": stopped.item(), "attention_focus": focus.item()}

    def save(self, folder: Path) -> None:
        save_checkpoint(folder, self.model, self.checkpoint_config())

    def checkpoint_config(self) -> dict[str, Any]:
        """What the Tacotron2 loader reads (model.py): the settings over the bundle's, the stacking."""
        return {"tacotron2": self.settings_, "frames_per_step": self.r, "text": "char", "mel_norm": self.norm.to_dict(),
                "corpus": {"teacher": "tts/hibari", "voice": self.corpus.voice, "sentences": len(self.corpus.texts)}}

    def settings(self) -> dict[str, Any]:
        return {**self.checkpoint_config(), "guided_sigma": self.guided_sigma, "guided_weight": self.guided_weight,
                "corpus_seconds": round(self.corpus.seconds, 1)}


def corpus_for(out: Path, sentences: int, voice: str, seed: int) -> Corpus:
    """The run folder's corpus, synthesised on the first run and reused when the run resumes."""
    folder = out / "corpus"
    corpus = Corpus.load(folder)
    if corpus is not None:
        if len(corpus.texts) != sentences or corpus.voice != voice:
            raise InvalidInput(f"{folder} holds {len(corpus.texts)} sentences by {corpus.voice!r}, not {sentences} "
                               f"by {voice!r}: use another --out")
        return corpus
    corpus = synthesise(corpus_sentences(sentences, seed), voice)
    corpus.save(folder)
    return corpus


@click.command("tts", context_settings={"show_default": True})
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Run folder: corpus/, epoch-N/, best/, last/, history.json; an existing run resumes.")
@click.option("--sentences", type=int, default=4000, help="Corpus size (the last 32 validate).")
@click.option("--voice", default="heart", help="The tts/hibari voice that speaks the corpus.")
@click.option("--width", type=int, default=128, help="Encoder width (the decoder's LSTMs are twice as wide).")
@click.option("--frames-per-step", type=click.IntRange(1, 6), default=3, help="Mel frames per decoder step.")
@click.option("--guided-sigma", type=float, default=0.2, help="Width of the guided attention's diagonal band.")
@loop_options(TrainConfig, scheduler=True)
def train_command(out: str, sentences: int, voice: str, width: int, frames_per_step: int, guided_sigma: float,
                  **settings: Any) -> None:
    """Train a small Tacotron2 (Griffin-Lim vocoder) on speech by tts/hibari.

    Load the result with mmzoo.load("tts/tacotron2-griffinlim-char", weights=OUT/best).
    """
    try:
        config = TrainConfig(**settings)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if sentences < VALIDATION + 2:
        raise InvalidInput(f"--sentences must be at least {VALIDATION + 2}")
    torch.manual_seed(config.seed)
    corpus = corpus_for(Path(out), sentences, voice, config.seed)
    recipe = Tacotron2Recipe(corpus, small_tacotron2(width, frames_per_step), frames_per_step,
                             config.torch_device(), guided_sigma)
    click.echo(f"{sum(p.numel() for p in recipe.model.parameters()) / 1e6:.1f}M parameters, "
               f"{len(recipe.samples)} training sentences ({corpus.seconds / 60:.0f} min of speech); run folder {out}",
               err=True)
    for record in fit(recipe, config, out):
        click.echo(json.dumps(record))
