"""The matcher's parts: DAVEnet's front end, the audio encoders' shapes, matchmap similarities
against slow re-computations of their definitions."""

from __future__ import annotations

import itertools

import pytest
import torch

from mmzoo_davenet.audio_encoders import DAVEnet, ResDAVEnet, SoundNet, output_lengths
from mmzoo_davenet.frontend import N_MELS, log_mel, padded_batch
from mmzoo.matchmap import matchmap, pairwise_similarity

torch.set_num_threads(1)


def test_front_end_makes_40_bands_every_10_ms_at_16_khz():
    tone = torch.sin(2 * torch.pi * 1000 * torch.arange(22_050) / 22_050)  # one second at 22.05 kHz
    mel = log_mel(tone, 22_050)
    assert mel.shape == (N_MELS, 101)  # resampled to 16 kHz, hop 160, centred frames
    loudest = int(mel.mean(dim=1).argmax())
    assert 8 < loudest < 30  # 1 kHz sits in the lower-middle of 40 mel bands up to 8 kHz
    batch, lengths = padded_batch([mel, mel[:, :40]], multiple=16)
    assert batch.shape == (2, N_MELS, 112) and lengths.tolist() == [101, 40]
    assert torch.equal(batch[1, :, :40], mel[:, :40]) and float(batch[1, :, 40:].max()) < -13


@pytest.mark.parametrize("encoder", [DAVEnet((8, 8, 16, 16, 24)), ResDAVEnet((8, 16, 16, 24), stem=8)])
def test_mel_encoders_pool_sixteen_frames_into_one(encoder):
    out = encoder(torch.randn(3, N_MELS, 160))
    assert out.shape == (3, 24, 10) and encoder.downsample == 16 and encoder.dim == 24
    assert output_lengths(torch.tensor([160, 17, 3]), encoder.downsample).tolist() == [10, 2, 1]


def test_soundnet_features_and_class_heads():
    net = SoundNet(scale=0.125, objects=10, scenes=5).eval()
    features = net(torch.randn(2, 40_000))
    assert features.shape[:2] == (2, 128) and net.dim == 128 and net.downsample == 2 ** 7 * 8 * 8 * 4
    objects, scenes = net.class_logits(features)
    assert objects.shape[:2] == (2, 10) and scenes.shape[:2] == (2, 5)


def slow_similarity(image, audio, length, kind):
    dim, h, w = image.shape
    m = [[[float(sum(image[d, r, c] * audio[d, t] for d in range(dim))) for t in range(length)]
          for c in range(w)] for r in range(h)]
    cells = list(itertools.product(range(h), range(w)))
    if kind == "sisa":
        return sum(m[r][c][t] for r, c in cells for t in range(length)) / (len(cells) * length)
    if kind == "misa":
        return sum(max(m[r][c][t] for r, c in cells) for t in range(length)) / length
    return sum(max(m[r][c][t] for t in range(length)) for r, c in cells) / len(cells)


@pytest.mark.parametrize("kind", ["sisa", "misa", "sima"])
def test_similarities_match_their_definitions_and_ignore_padding(kind):
    generator = torch.Generator().manual_seed(0)
    images, audios = torch.randn(2, 3, 2, 3, generator=generator), torch.randn(3, 3, 5, generator=generator)
    lengths = torch.tensor([5, 2, 4])
    padded = audios.clone()
    for a, n in enumerate(lengths.tolist()):
        padded[a, :, n:] = 50.0  # padding that would win every max if it counted
    got = pairwise_similarity(images, padded, lengths, kind)
    for b, a in itertools.product(range(2), range(3)):
        assert float(got[b, a]) == pytest.approx(slow_similarity(images[b], audios[a], int(lengths[a]), kind), rel=1e-4)
    assert matchmap(images[0], audios[0]).shape == (2, 3, 5)
    with pytest.raises(ValueError, match="sisa, misa, sima"):
        pairwise_similarity(images, audios, kind="average")
