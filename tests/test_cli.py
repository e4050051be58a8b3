"""The mmzoo command line, run as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
import soundfile

from mmzoo.cli import EXIT_USER_ERROR


def mmzoo_cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mmzoo", *map(str, args)], capture_output=True, text=True,
                          timeout=120, **kwargs)


@pytest.mark.parametrize("args", [["--help"], ["models"], ["tasks"], ["plugins"]])
def test_light_commands_import_neither_torch_nor_gradio(args):
    probe = textwrap.dedent(f"""
        import sys
        from mmzoo.cli import cli
        try:
            cli.main({args!r}, prog_name="mmzoo", standalone_mode=False)
        finally:
            heavy = sorted(m for m in ("torch", "gradio", "transformers", "librosa") if m in sys.modules)
            print("HEAVY=" + ",".join(heavy))
    """)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "HEAVY="


def test_models_lists_defaults_and_json():
    out = mmzoo_cli("models")
    assert out.returncode == 0
    assert "* ocr/tesseract" in out.stdout and "* tts/hibari" in out.stdout
    rows = json.loads(mmzoo_cli("models", "--task", "ocr", "--json").stdout)
    assert [r["id"] for r in rows] == ["ocr/tesseract"] and rows[0]["status"] == "ready"


def test_tasks_lists_the_seven():
    out = mmzoo_cli("tasks", "--json")
    ids = [t["id"] for t in json.loads(out.stdout)]
    assert ids[:7] == ["retrieve", "caption", "vqa", "ocr", "tts", "text2image", "avmatch"]


def test_run_ocr_json(ocr_image):
    out = mmzoo_cli("run", "ocr", ocr_image, "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    cli_text = subprocess.run(["tesseract", str(ocr_image), "-", "-l", "eng", "--psm", "3"],
                              capture_output=True, text=True, check=True).stdout
    assert result["text"] == cli_text and "quick brown fox" in result["text"]
    assert result["words"] and all(len(w["box"]) == 4 and 0 <= w["confidence"] <= 100 for w in result["words"])


def test_run_ocr_model_options(ocr_image):
    out = mmzoo_cli("run", "ocr", ocr_image, "--lang", "eng", "-O", "psm=6", "-m", "ocr/tesseract")
    assert out.returncode == 0 and "quick brown fox" in out.stdout


def test_run_tts_writes_a_wav_of_the_right_length(tmp_path):
    wav = tmp_path / "out.wav"
    out = mmzoo_cli("run", "tts", "hello world", "-o", wav, "-m", "tts/espeak-ng", "-O", "rate=175")
    assert out.returncode == 0, out.stderr
    info = soundfile.info(wav)
    assert info.samplerate == 22050 and 0.5 < info.duration < 2.5  # two words at 175 wpm


@pytest.mark.parametrize("args, message", [
    (["run", "tts", "   ", "-o", "x.wav"], "text is empty"),
    (["run", "tts", "hi"], "give -o FILE.wav"),
    (["run", "ocr", "{text_file}"], "is not an image"),
    (["run", "ocr", "{empty_file}"], "image file is empty"),
    (["run", "ocr", "{ocr_image}", "-m", "ocr/nope"], "unknown model 'ocr/nope'"),
    (["run", "ocr", "{ocr_image}", "--lang", "xxx"], "xxx not installed"),
    (["run", "ocr", "{ocr_image}", "-O", "psm=99"], "psm"),
    (["download", "tts/nope"], "unknown model"),
    (["run", "ocr", "{ocr_image}", "--lang", "eng", "-O", "lang=deu"], "given both"),
    (["run", "ocr", "{ocr_image}", "-O", "psm=abc"], "psm (page segmentation mode) must be a whole number"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, text_file, empty_file, ocr_image, tmp_path):
    paths = {"text_file": text_file, "empty_file": empty_file, "ocr_image": ocr_image}
    out = mmzoo_cli(*[a.format(**paths) for a in args], cwd=tmp_path)
    assert out.returncode == EXIT_USER_ERROR
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], out.stderr


def test_unknown_task_is_a_usage_error():
    out = mmzoo_cli("run", "nope")
    assert out.returncode == 2 and "No such command 'nope'" in out.stderr


def test_run_help_shows_task_inputs():
    out = mmzoo_cli("run", "ocr", "--help")
    assert out.returncode == 0 and "--lang" in out.stdout and "IMAGE" in out.stdout


def test_download_explains_system_engines():
    out = mmzoo_cli("download", "ocr/tesseract")
    assert out.returncode == 0 and "nothing to download" in out.stdout


def test_doctor_reports_engines_and_plugins():
    out = mmzoo_cli("doctor")
    assert out.returncode == 0
    assert "engine   tesseract" in out.stdout and "NOT FOUND" not in out.stdout
    assert "plugin   tesseract" in out.stdout and "model    ocr/tesseract" in out.stdout


def test_library_progress_bars_only_with_verbose(tmp_path):
    from PIL import Image

    image = tmp_path / "red.png"
    Image.new("RGB", (64, 64), (220, 30, 30)).save(image)
    args = ["run", "retrieve", "--model", "retrieve/shapes-minilm-cnn", "--text", "a red circle", "--images", str(image)]
    quiet, verbose = mmzoo_cli(*args), mmzoo_cli("-v", *args)
    assert quiet.returncode == verbose.returncode == 0, quiet.stderr + verbose.stderr
    assert "Loading weights" in verbose.stderr  # transformers' bar for the MiniLM text tower
    assert "Loading weights" not in quiet.stderr and "%|" not in quiet.stderr
