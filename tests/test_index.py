"""Gallery indexes: incremental builds, model checks, unreadable files, exact vs FAISS search, the CLI."""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import mmzoo
import mmzoo.index
from mmzoo.testing.doubles import ColourRetrieval, DoublesPlugin, colour_image
from mmzoo.cli import EXIT_USER_ERROR, cli
from mmzoo.eval.retrieval import top_k
from mmzoo.index import DEFAULT_DIRNAME, GalleryIndex


class CountingColours(ColourRetrieval):
    """Counts the images it embeds; after ``fail_after`` batches it stops as a Ctrl+C would."""

    def __init__(self, fail_after: int | None = None):
        self.embedded, self.fail_after = 0, fail_after

    def embed_images(self, images):
        if self.fail_after is not None:
            if self.fail_after == 0:
                raise KeyboardInterrupt
            self.fail_after -= 1
        self.embedded += len(images)
        return super().embed_images(images)


class MeanColour(ColourRetrieval):
    """Embeds an image as its mean RGB (plus a constant): many distinct directions, for search tests."""

    def embed_images(self, images):
        rows = np.array([np.asarray(i, float).reshape(-1, 3).mean(axis=0) / 255 - 0.5 for i in images])
        return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def photos(tmp_path):
    """red/green/blue at the top, a red in a subfolder, and files an index must ignore."""
    folder = tmp_path / "photos"
    (folder / "sub" / "deeper").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    for colour in ("red", "green", "blue"):
        colour_image(colour).save(folder / f"{colour}.png")
    colour_image("red").save(folder / "sub" / "deeper" / "red2.jpg")
    colour_image("green").save(folder / ".hidden" / "secret.png")
    (folder / "notes.txt").write_text("not an image")
    return folder


def rows(index):
    return {f.path for f in index.files}


def test_build_walks_images_recursively_and_searches_them(photos):
    index = GalleryIndex.build(photos, ColourRetrieval())
    assert index.directory == (photos / DEFAULT_DIRNAME).resolve() and index.folder == photos.resolve()
    assert rows(index) == {"red.png", "green.png", "blue.png", "sub/deeper/red2.jpg"}
    assert index.changes.added == sorted(index.changes.added) and len(index.changes.added) == 4
    assert index.embeddings.dtype == np.float32 and index.embeddings.shape == (4, 3)
    manifest = json.loads((index.directory / "manifest.json").read_text())
    assert manifest["model"] == "mmzoo.testing.doubles.ColourRetrieval" and manifest["dim"] == 3
    assert manifest["mmzoo_version"] == mmzoo.__version__ and manifest["complete"] is True
    assert all(len(f["sha256"]) == 64 and f["size"] > 0 and f["mtime_ns"] > 0 for f in manifest["files"])
    hits = mmzoo.run("retrieve", text="something red", index=photos, model=ColourRetrieval(), k=2)
    assert sorted(h.item for h in hits.hits) == [str(photos.resolve() / "red.png"),
                                                 str(photos.resolve() / "sub/deeper/red2.jpg")]


def test_update_embeds_only_new_and_changed_files(photos):
    model = CountingColours()
    GalleryIndex.build(photos, model)
    assert model.embedded == 4
    stat = (photos / "red.png").stat()
    os.utime(photos / "red.png", ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))  # touched, same bytes
    colour_image("blue", size=48).save(photos / "green.png")  # changed
    (photos / "sub" / "deeper" / "red2.jpg").unlink()  # deleted
    colour_image("green").save(photos / "sub" / "new.webp")  # added
    model.embedded = 0
    index = GalleryIndex.build(photos, model)
    changes = index.changes
    assert (changes.added, changes.updated) == (["sub/new.webp"], ["green.png"])
    assert changes.removed == ["sub/deeper/red2.jpg"]
    assert changes.unchanged == 2 and changes.embedded == model.embedded == 2
    assert rows(index) == {"red.png", "green.png", "blue.png", "sub/new.webp"}
    best = mmzoo.run("retrieve", text="green", index=photos, model=model, k=1).hits[0]
    assert best.item.endswith("sub/new.webp") and best.score == pytest.approx(1.0)
    model.embedded = 0
    again = index.update(model)
    assert again.changes.unchanged == 4 and model.embedded == 0 and not again.changes.added


def test_moved_and_copied_files_reuse_their_rows(photos):
    model = CountingColours()
    GalleryIndex.build(photos, model)
    model.embedded = 0
    (photos / "blue.png").rename(photos / "sub" / "blue-moved.png")
    (photos / "copy.png").write_bytes((photos / "red.png").read_bytes())
    index = GalleryIndex.build(photos, model)
    assert index.changes.added == ["copy.png", "sub/blue-moved.png"] and index.changes.removed == ["blue.png"]
    assert model.embedded == 0


def test_an_index_refuses_another_model(photos):
    GalleryIndex.build(photos, ColourRetrieval())
    with pytest.raises(mmzoo.InvalidInput, match="built with model mmzoo.testing.doubles.ColourRetrieval, not test_index.Counting"):
        mmzoo.run("retrieve", text="red", index=photos, model=CountingColours())
    with pytest.raises(mmzoo.InvalidInput, match="--rebuild"):
        GalleryIndex.build(photos, CountingColours())
    rebuilt = GalleryIndex.build(photos, CountingColours(), rebuild=True)
    assert rebuilt.model_id == "test_index.CountingColours" and len(rebuilt.changes.added) == 4


def test_build_takes_a_loaded_model_and_rebuild_ignores_the_old_index(photos):
    with pytest.raises(mmzoo.InvalidInput, match=r"give a loaded model, e.g. mmzoo.load\('retrieve/colour'\)"):
        GalleryIndex.build(photos, "retrieve/colour")  # the index imports no API: the caller loads by id
    index = GalleryIndex.build(photos, ColourRetrieval())
    manifest = index.directory / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"format": 1', '"format": 0'))
    with pytest.raises(mmzoo.InvalidInput, match="rebuild it"):
        GalleryIndex.build(photos, ColourRetrieval())
    assert len(GalleryIndex.build(photos, ColourRetrieval(), rebuild=True).changes.added) == 4


def test_unreadable_images_are_skipped_and_listed(photos):
    (photos / "broken.png").write_text("this is not an image")
    (photos / "empty.jpg").write_bytes(b"")
    (photos / "truncated.png").write_bytes((photos / "red.png").read_bytes()[:60])
    index = GalleryIndex.build(photos, ColourRetrieval())
    assert len(index) == 4
    assert sorted(path for path, _ in index.changes.skipped) == ["broken.png", "empty.jpg", "truncated.png"]
    assert all("image" in why for _, why in index.changes.skipped)
    colour_image("blue").save(photos / "broken.png")  # fixed: picked up by the next update
    assert GalleryIndex.build(photos, ColourRetrieval()).changes.added == ["broken.png"]


def test_an_interrupted_build_keeps_the_previous_index_and_the_work_done(photos):
    with pytest.raises(KeyboardInterrupt):  # checkpoint after every batch of one image
        GalleryIndex.build(photos, CountingColours(fail_after=2), batch_size=1, checkpoint_seconds=0)
    partial = GalleryIndex.open(photos)
    assert len(partial) == 2 and partial.manifest["complete"] is False
    assert sorted(p.name for p in partial.directory.iterdir() if not p.name.startswith("embeddings-")) \
        == ["manifest.json"]  # no temp files left behind
    model = CountingColours()
    done = GalleryIndex.build(photos, model)
    assert done.changes.unchanged == 2 and model.embedded == 2 and done.manifest["complete"] is True
    (photos / "green.png").unlink()
    colour_image("green", size=40).save(photos / "new.png")
    with pytest.raises(KeyboardInterrupt):  # no checkpoint: the previous index stays as it was
        GalleryIndex.build(photos, CountingColours(fail_after=0))
    assert rows(GalleryIndex.open(photos)) == rows(done)


def test_exact_and_faiss_search_agree(tmp_path):
    pytest.importorskip("faiss")
    rng = np.random.default_rng(0)
    folder = tmp_path / "colours"
    folder.mkdir()
    for i, rgb in enumerate(rng.integers(0, 256, size=(120, 3))):
        Image.new("RGB", (8, 8), tuple(int(c) for c in rgb)).save(folder / f"{i:03d}.png")
    model = MeanColour()
    exact = GalleryIndex.build(folder, model)
    assert exact.approximate is None
    queries = [model.embed_images([Image.new("RGB", (8, 8), tuple(int(c) for c in rgb))])[0]
               for rgb in rng.integers(0, 256, size=(10, 3))]
    for kind in ("hnsw", "ivf"):
        approx = GalleryIndex.build(folder, model, approximate=kind)
        assert approx.approximate["kind"] == kind and (approx.directory / approx.approximate["file"]).is_file()
        assert approx.changes.embedded == 0  # switching the search kind re-embeds nothing
        mmzoo.index._cache.clear()
        reopened = GalleryIndex.open(folder)  # the saved FAISS index, read back from disk
        for query in queries:
            want = approx.search(query, 5, approximate=False)
            got = reopened.search(query, 5)
            assert [r for r, _ in got] == [r for r, _ in want]
            assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-5)
    in_memory = GalleryIndex.build(folder, model, approximate=False)
    assert in_memory.approximate is None and not list(in_memory.directory.glob("faiss-*"))
    assert in_memory.search(queries[0], 3, approximate=True)[0][0] == in_memory.search(queries[0], 3)[0][0]


def test_faiss_missing_is_a_missing_dependency(photos, monkeypatch):
    index = GalleryIndex.build(photos, ColourRetrieval())
    monkeypatch.setitem(sys.modules, "faiss", None)  # import faiss now raises ImportError
    with pytest.raises(mmzoo.MissingDependency, match="pip install faiss-cpu"):
        GalleryIndex.build(photos, ColourRetrieval(), approximate=True)
    with pytest.raises(mmzoo.MissingDependency, match="pip install faiss-cpu"):
        index.search(index.embeddings[0], 2, approximate=True)
    assert index.search(index.embeddings[0], 1)[0][1] == pytest.approx(1.0)  # exact search needs no FAISS


def test_top_k_orders_best_first_and_ties_by_position():
    scores = np.array([0.1, 0.9, 0.5, 0.9, -1.0], dtype=np.float32)
    assert top_k(scores, 3).tolist() == [1, 3, 2] and top_k(scores, 10).tolist() == [1, 3, 2, 0, 4]


# -- the CLI ---------------------------------------------------------------------------


@pytest.fixture
def mmzoo_cli(register_plugin):
    register_plugin(DoublesPlugin(), "doubles")
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, [str(a) for a in args], prog_name="mmzoo", catch_exceptions=False)


def test_cli_builds_an_index_and_searches_it(mmzoo_cli, photos, tmp_path):
    built = mmzoo_cli("index", "build", photos, "--model", "retrieve/colour")
    assert built.exit_code == 0, built.output
    assert "added 4, updated 0, removed 0, unchanged 0" in built.output and "model retrieve/colour" in built.output
    (photos / "blue.png").unlink()
    again = mmzoo_cli("index", "build", photos)  # the index's model by default
    assert again.exit_code == 0 and "added 0, updated 0, removed 1, unchanged 3" in again.output
    info = mmzoo_cli("index", "info", photos / DEFAULT_DIRNAME)
    assert info.exit_code == 0 and "retrieve/colour" in info.output and "images:" in info.output
    found = mmzoo_cli("run", "retrieve", "--index", photos / DEFAULT_DIRNAME, "--text", "green", "-k", 1, "--json")
    assert found.exit_code == 0, found.output  # no --model: the index's own model
    hits = json.loads(found.output)["hits"]
    assert len(hits) == 1 and hits[0]["item"].endswith("green.png")
    text = mmzoo_cli("run", "retrieve", "--index", photos, "--image", photos / "red.png", "-k", 2)
    assert text.exit_code == 0
    assert [line.split()[1].rsplit("/", 1)[1] for line in text.output.splitlines()] == ["red.png", "red2.jpg"]


def test_cli_zero_shot_and_errors(mmzoo_cli, photos, tmp_path):
    labels = mmzoo_cli("run", "retrieve", "-m", "retrieve/colour", "--image", photos / "blue.png",
                       "--labels", "red, green, blue")
    assert labels.exit_code == 0 and labels.output.splitlines()[0].endswith(" blue")
    GalleryIndex.build(photos, ColourRetrieval(), tmp_path / "other")
    wrong = mmzoo_cli("run", "retrieve", "--index", tmp_path / "other", "--text", "red", "-m", "retrieve/colour")
    assert wrong.exit_code == EXIT_USER_ERROR and "built with model mmzoo.testing.doubles.ColourRetrieval" in wrong.output
    missing = mmzoo_cli("index", "info", tmp_path)
    assert missing.exit_code == EXIT_USER_ERROR and "no gallery index" in missing.output
    no_folder = mmzoo_cli("index", "build", tmp_path / "nope", "-m", "retrieve/colour")
    assert no_folder.exit_code == EXIT_USER_ERROR and "image folder not found" in no_folder.output
