"""The layers of mmzoo/: imports go down only (TYPE_CHECKING and function-level ones too), and never in a circle."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import mmzoo
from layering import imports, layer, problems

PACKAGE = Path(mmzoo.__file__).parent


def test_mmzoo_imports_only_downwards_and_has_no_cycle():
    assert problems(imports(PACKAGE)) == []


def test_the_map_places_the_core_as_designed():
    order = ["app", "api", "plugins", "tasks.builtin", "tasks.retrieve", "tasks.tab", "index", "media",
             "eval.retrieval", "errors"]
    assert [layer(m) for m in order] == sorted(layer(m) for m in order)
    assert layer("cli") == layer("app") and layer("evaluate") == layer("api") == layer("__init__")
    assert layer("registry") < layer("tasks.base") < layer("index") < layer("data.shapes")


@pytest.fixture
def tree(tmp_path):
    """A copy of mmzoo/ (its Python files) to plant imports in."""
    copy = tmp_path / "mmzoo"
    shutil.copytree(PACKAGE, copy, ignore=lambda d, names: [n for n in names if "." in n and not n.endswith(".py")])
    assert problems(imports(copy)) == []
    return copy


def plant(path, code):
    path.write_text(path.read_text() + "\n\n" + code + "\n")


def test_a_planted_back_import_fails_and_is_named(tree):
    plant(tree / "tasks" / "base.py", "if TYPE_CHECKING:\n    from ..app import TabContext as _Planted")
    found = problems(imports(tree))
    assert any(p.startswith("tasks.base (line ") and "imports app, a higher layer" in p for p in found), found
    assert any(p.startswith("import cycle: ") and "tasks.base -> app" in p for p in found), found


def test_a_planted_back_import_inside_a_function_fails(tree):
    plant(tree / "index.py", "def _planted():\n    import mmzoo.api")
    assert [p for p in problems(imports(tree)) if "higher layer" in p] == [
        f"index (line {len((tree / 'index.py').read_text().splitlines())}) imports api, a higher layer: "
        "index may import only its layer and those below"]


def test_a_cycle_within_one_layer_fails(tree):
    plant(tree / "media.py", "def _planted():\n    from .eval import image")  # eval.image imports media
    assert problems(imports(tree)) == ["import cycle: media -> eval.image -> media"]


def test_a_new_module_must_be_given_a_layer(tree):
    (tree / "gallery.py").write_text("from .errors import InvalidInput\n")
    assert problems(imports(tree)) == ["gallery is in no layer: add it to LAYERS in tests/layering.py"]
