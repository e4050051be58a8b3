"""Tacotron2 bundles: tiny random Tacotron2 and WaveRNN built from the bundles' parameters, saved as the
bundle files and loaded through the same code (weights=); offline hub -> WeightsUnavailable."""

from __future__ import annotations

import pytest
import torch

import mmzoo
from mmzoo.errors import GenerationFailed, WeightsUnavailable
from mmzoo_tacotron2.catalog import CATALOG, WAVERNN_FILE
from mmzoo_tacotron2.model import sentences
from mmzoo_tacotron2.testing import StopEvery, tiny_bundle_folder

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A folder holding both bundles' files for tiny random models (and the config that sizes them)."""
    return tiny_bundle_folder(tmp_path_factory.mktemp("tacotron2"))


def test_sentences_split_long_texts_without_losing_words():
    text = "First one. Second, much longer " + "word " * 60 + "end! Third?"
    parts = sentences(text, limit=80)
    assert all(len(p) <= 80 for p in parts) and " ".join(parts).split() == text.split()
    assert parts[0] == "First one." and parts[-1] == "Third?"


@pytest.mark.parametrize("model_id", ["tts/tacotron2-griffinlim-char", "tts/tacotron2-wavernn-char"])
def test_tiny_models_load_through_the_bundle_path_and_speak(tiny, model_id):
    from mmzoo.plugins import get_registry

    model = get_registry().model(model_id).resolve_factory()(weights=tiny, device="cpu")  # its own copy
    model.tacotron2.decoder.gate_layer = StopEvery(12)
    speech = mmzoo.run("tts", "Hi there. How are you?", model=model)
    frames = speech.mel.shape[1]
    assert speech.sample_rate == 22_050 and speech.mel.shape[0] == 80 and frames == 2 * 12  # both sentences
    assert speech.alignment.shape == (frames, len("hi there.") + len("how are you?"))
    # per sentence: WaveRNN gives hop samples a frame; Griffin-Lim's centred STFT one frame's worth fewer
    per_sentence = 12 * 275 if "wavernn" in model_id else 11 * 256
    assert len(speech.waveform) == 2 * per_sentence + int(0.25 * 22_050)  # and a pause between the sentences


def test_the_decoder_limit_is_an_error_not_a_cut(tiny):
    from mmzoo_tacotron2.model import Tacotron2GriffinLimChar

    model = Tacotron2GriffinLimChar(weights=tiny, device="cpu")
    model.tacotron2.decoder.gate_layer = StopEvery(10_000)  # never stops
    with pytest.raises(GenerationFailed, match="reached its limit of 60 steps"):
        mmzoo.run("tts", "Hi there.", model=model)


def test_offline_bundle_is_weights_unavailable_naming_mmzoo_download(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr("mmzoo_tacotron2.model.BASE_URL", "http://127.0.0.1:9/models")
    with pytest.raises(WeightsUnavailable, match="mmzoo download tts/tacotron2-griffinlim-char"):
        mmzoo.load("tts/tacotron2-griffinlim-char", device="cpu")
    assert mmzoo.models("tts")[0].id != "tts/tacotron2-griffinlim-char"  # not the default


def test_mmzoo_download_offline_names_the_fix(tmp_path, monkeypatch):
    from mmzoo.plugins import get_registry

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr("mmzoo_tacotron2.model.BASE_URL", "http://127.0.0.1:9/models")
    spec = get_registry().model("tts/tacotron2-wavernn-char")
    assert not spec.status().ready and spec.status().text == "download 130 MB" and set(spec.weights.files) == {CATALOG[spec.id].tacotron2_file, WAVERNN_FILE}
    with pytest.raises(WeightsUnavailable, match="about 130 MB"):
        spec.resolve_factory().download(spec)


def test_the_phoneme_variants_say_which_package_they_need():
    import importlib.util

    from mmzoo.plugins import get_registry

    if importlib.util.find_spec("dp") is not None:
        pytest.skip("DeepPhonemizer is installed here")
    status = get_registry().model("tts/tacotron2-wavernn-phone").status()
    assert not status.ready and status.text == "needs pip install deep-phonemizer"  # not the import name "dp"


def test_a_decoder_that_stops_at_once_is_a_failure_not_a_crash(tiny):
    from mmzoo_tacotron2.model import Tacotron2GriffinLimChar

    model = Tacotron2GriffinLimChar(weights=tiny, device="cpu")
    model.tacotron2.decoder.gate_layer = StopEvery(1)
    with pytest.raises(GenerationFailed, match="stopped after 1 mel frames"):
        mmzoo.run("tts", "Hi there.", model=model)
