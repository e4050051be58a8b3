"""Installing and uninstalling plugins with `mmzoo install` / `mmzoo uninstall`.

These tests pip-install real packages into the running environment and always remove them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from gradio_client import Client, handle_file

import mmzoo
from mmzoo.testing import running_app
from mmzoo import plugins
from mmzoo.app import build_app
from test_app import tab_ids
from test_cli import mmzoo_cli

pytestmark = pytest.mark.slow


def model_ids() -> list[str]:
    return [row["id"] for row in json.loads(mmzoo_cli("models", "--json").stdout)]


@pytest.fixture
def fresh_plugins():
    """Re-read entry points before and after the test (the environment changes under us)."""
    plugins.reset()
    yield
    plugins.reset()
    mmzoo.clear_cache()


def test_example_plugin_wheel_installs_and_uninstalls(tmp_path, ocr_image, fresh_plugins, pytestconfig):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path),
                    str(pytestconfig.rootpath / "demos" / "mmzoo-palette")], check=True, timeout=300)
    wheel = next(tmp_path.glob("mmzoo_palette-*.whl"))
    try:
        out = mmzoo_cli("install", wheel)
        assert out.returncode == 0, out.stderr
        assert "palette/median-cut" in out.stdout  # install reports the new models
        assert {"ocr/tesseract", "tts/espeak-ng", "palette/median-cut"} <= set(model_ids())
        tasks = [t["id"] for t in json.loads(mmzoo_cli("tasks", "--json").stdout)]
        assert tasks[:7] == ["retrieve", "caption", "vqa", "ocr", "tts", "text2image", "avmatch"]
        assert tasks[7] == "palette"
        ran = mmzoo_cli("run", "palette", ocr_image, "--colours", "2", "--json")
        swatches = json.loads(ran.stdout)
        assert swatches[0]["hex"] == "#ffffff" and sum(s["share"] for s in swatches) == pytest.approx(1.0)

        plugins.reset()
        assert mmzoo.run("palette", ocr_image, colours=3)[0].share > 0.5
        with running_app() as url:
            client = Client(url, verbose=False, analytics_enabled=False)
            html = client.predict(image=handle_file(str(ocr_image)), colours=3, model="palette/median-cut",
                                  api_name="/palette")
            assert "#ffffff" in html
    finally:
        out = mmzoo_cli("uninstall", "mmzoo-palette")
    assert out.returncode == 0, out.stderr
    assert "palette/median-cut" not in model_ids()
    plugins.reset()
    assert "palette" not in tab_ids(build_app())


BROKEN_PACKAGE = {
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "mmzoo-broken-example"
        version = "0.0.1"

        [project.entry-points.mmzoo]
        explodes-on-import = "mmzoo_broken_import"
        registers-junk = "mmzoo_broken_models"

        [tool.setuptools]
        py-modules = ["mmzoo_broken_import", "mmzoo_broken_models"]
    """,
    "mmzoo_broken_import.py": """
        raise RuntimeError("this plugin is broken on purpose")
    """,
    "mmzoo_broken_models.py": """
        import mmzoo

        @mmzoo.hookimpl
        def register_models(register):
            register(mmzoo.ModelSpec(id="Not A Valid Id", summary="bad id", factory="x:y"))
            register(mmzoo.ModelSpec(id="nosuchtask/model", summary="unknown task", factory="x:y"))
            register(mmzoo.ModelSpec(id="ocr/tesseract", summary="steals an id", factory="x:y"))
            register("not even a spec")
            register(mmzoo.ModelSpec(id="ocr/fine-but-last", summary="valid", factory="mmzoo_broken_models:x"))

        @mmzoo.hookimpl
        def register_tasks(register):
            raise ValueError("cannot count to seven")
    """,
}


def test_broken_plugins_are_listed_and_nothing_else_breaks(tmp_path, ocr_image, fresh_plugins):
    for name, text in BROKEN_PACKAGE.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    try:
        out = mmzoo_cli("install", tmp_path)
        assert out.returncode == 0, out.stderr
        listing = mmzoo_cli("plugins")
        assert listing.returncode == 0
        assert "this plugin is broken on purpose" in listing.stdout
        assert "must look like '<task>/<name>'" in listing.stdout
        assert "unknown task 'nosuchtask'" in listing.stdout
        assert "already registered" in listing.stdout and "expected a ModelSpec" in listing.stdout
        assert "register_tasks raised ValueError: cannot count to seven" in listing.stdout
        records = {r["name"]: r for r in json.loads(mmzoo_cli("plugins", "--json").stdout)}
        assert not records["explodes-on-import"]["ok"] and records["tesseract"]["ok"]

        ids = model_ids()
        assert "ocr/tesseract" in ids and "ocr/fine-but-last" in ids
        assert mmzoo_cli("run", "ocr", ocr_image).returncode == 0

        plugins.reset()
        with running_app() as url:
            client = Client(url, verbose=False, analytics_enabled=False)
            text, _, _ = client.predict(image=handle_file(str(ocr_image)), lang="eng", psm=3, oem=3,
                                        model="ocr/tesseract", api_name="/ocr")
            assert "quick brown fox" in text
    finally:
        out = mmzoo_cli("uninstall", "mmzoo-broken-example")
    assert out.returncode == 0, out.stderr
    assert "explodes-on-import" not in mmzoo_cli("plugins").stdout
