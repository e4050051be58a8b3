"""The training layer: run folder, checkpoints, best/, resume (exactly as if never stopped), safe
state files, gradient clipping, features of frozen towers."""

from __future__ import annotations

import json
import pickle

import pytest

torch = pytest.importorskip("torch")

from mmzoo.errors import InvalidInput  # noqa: E402
from mmzoo.train import Recipe, RunFolder, TrainConfig, fit, precompute, read_weights  # noqa: E402
from mmzoo.train.checkpoint import load_weights, save_checkpoint  # noqa: E402


class Regression(Recipe):
    """y = W x from slightly noisy inputs; validation scores -MSE (or replays ``scores``)."""

    metric = "score"

    def __init__(self, scores: list[float] | None = None, fail_at_epoch: int | None = None) -> None:
        generator = torch.Generator().manual_seed(0)
        truth = torch.randn(3, 4, generator=generator)
        x = torch.randn(64, 4, generator=generator)
        self.samples = [(row, truth @ row) for row in x]
        self.val = torch.randn(16, 4, generator=generator), truth
        torch.manual_seed(1)
        self.model = torch.nn.Linear(4, 3, bias=False)
        self.scores, self.fail_at_epoch = scores, fail_at_epoch
        self.epoch = 0

    def start_epoch(self, epoch):
        self.epoch = epoch
        if epoch == self.fail_at_epoch:
            raise KeyboardInterrupt  # the user stops the run
        return {}

    def loss(self, batch):
        x = torch.stack([s[0] for s in batch])
        y = torch.stack([s[1] for s in batch])
        noisy = x + 0.01 * torch.randn_like(x)  # random draws too, so resuming must restore the seeds
        return torch.nn.functional.mse_loss(self.model(noisy), y)

    def validate(self):
        if self.scores is not None:
            return {"score": self.scores[self.epoch]}
        x, truth = self.val
        return {"score": -torch.nn.functional.mse_loss(self.model(x), x @ truth.t()).item()}

    def save(self, folder):
        save_checkpoint(folder, self.model, {"in": 4, "out": 3})


CONFIG = TrainConfig(epochs=4, batch_size=8, lr=0.05, scheduler="cosine", device="cpu")


def weights(folder):
    return read_weights(folder)["weight"]


def test_a_run_folder_holds_every_epoch_the_best_and_the_last(tmp_path):
    history = fit(Regression(), CONFIG, tmp_path, progress=False)
    assert [r["epoch"] for r in history] == [1, 2, 3, 4]
    assert history[-1]["loss"] < history[0]["loss"] / 2
    saved = json.loads((tmp_path / "history.json").read_text())
    assert saved["epochs"] == history and saved["train"]["scheduler"] == "cosine"
    assert json.loads((tmp_path / "config.json").read_text())["train"]["epochs"] == 4
    for folder in ("epoch-1", "epoch-4", "best", "last"):
        assert (tmp_path / folder / "model.safetensors").is_file() and (tmp_path / folder / "config.json").is_file()
    assert (tmp_path / "last" / "optimizer.pt").is_file() and (tmp_path / "last" / "scheduler.pt").is_file()
    assert torch.equal(weights(tmp_path / "last"), weights(tmp_path / "epoch-4"))


def test_best_is_the_epoch_with_the_best_validation_metric(tmp_path):
    fit(Regression(scores=[0.1, 0.7, 0.3, 0.5]), CONFIG, tmp_path, progress=False)
    assert torch.equal(weights(tmp_path / "best"), weights(tmp_path / "epoch-2"))
    assert not torch.equal(weights(tmp_path / "best"), weights(tmp_path / "epoch-4"))


def test_a_resumed_run_ends_exactly_where_an_uninterrupted_one_does(tmp_path):
    straight = fit(Regression(), CONFIG, tmp_path / "straight", progress=False)
    with pytest.raises(KeyboardInterrupt):
        fit(Regression(fail_at_epoch=2), CONFIG, tmp_path / "stopped", progress=False)
    assert [r["epoch"] for r in RunFolder(tmp_path / "stopped").history()] == [1, 2]
    resumed = fit(Regression(), CONFIG, tmp_path / "stopped", progress=False)  # a fresh model, restored from last/
    assert [r["loss"] for r in resumed] == [r["loss"] for r in straight]
    assert torch.equal(weights(tmp_path / "stopped" / "last"), weights(tmp_path / "straight" / "last"))


def test_more_epochs_continue_a_finished_run(tmp_path):
    fit(Regression(), TrainConfig(**{**CONFIG.__dict__, "scheduler": "constant", "epochs": 2}), tmp_path,
        progress=False)
    history = fit(Regression(), TrainConfig(**{**CONFIG.__dict__, "scheduler": "constant", "epochs": 3}), tmp_path,
                  progress=False)
    assert [r["epoch"] for r in history] == [1, 2, 3] and (tmp_path / "epoch-3").is_dir()


def test_training_state_that_could_run_code_is_refused(tmp_path):
    fit(Regression(), TrainConfig(**{**CONFIG.__dict__, "epochs": 1}), tmp_path, progress=False)

    class Payload:
        def __reduce__(self):
            return (print, ("pwned",))

    (tmp_path / "last" / "optimizer.pt").write_bytes(pickle.dumps({"state": Payload()}, protocol=2))
    with pytest.raises(pickle.UnpicklingError):
        fit(Regression(), CONFIG, tmp_path, progress=False)


def test_gradients_are_clipped_before_each_step():
    norms = []

    def record(optimizer, args, kwargs):
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        norms.append(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])).item())

    from torch.optim.optimizer import register_optimizer_step_pre_hook

    handle = register_optimizer_step_pre_hook(record)
    try:
        fit(Regression(), TrainConfig(**{**CONFIG.__dict__, "epochs": 1, "grad_clip": 0.01}), progress=False)
        clipped = max(norms)
        norms.clear()
        fit(Regression(), TrainConfig(**{**CONFIG.__dict__, "epochs": 1}), progress=False)
    finally:
        handle.remove()
    assert clipped <= 0.01 + 1e-6 and max(norms) > 0.1


def test_a_diverging_loss_stops_with_where_it_happened():
    class Diverging(Regression):
        def loss(self, batch):
            return super().loss(batch) * float("inf")

    with pytest.raises(FloatingPointError, match="epoch 1, step 1"):
        fit(Diverging(), CONFIG, progress=False)


def test_settings_are_checked():
    for bad in ({"epochs": 0}, {"lr": 0}, {"optimizer": "sgd"}, {"scheduler": "step"}, {"grad_clip": 0}):
        with pytest.raises(ValueError):
            TrainConfig(**bad)
    if not torch.cuda.is_available():
        with pytest.raises(InvalidInput, match="no CUDA"):
            TrainConfig(device="cuda").torch_device()


def test_precompute_equals_one_pass_and_keeps_tuples():
    tower = torch.nn.Linear(5, 2).eval()
    x = torch.randn(37, 5)
    with torch.no_grad():
        whole = tower(x)
    assert torch.allclose(precompute(tower, x, batch_size=8), whole)
    first, second = precompute(lambda chunk: (tower(chunk), chunk.sum(1)), x, batch_size=10)
    assert torch.allclose(first, whole) and torch.allclose(second, x.sum(1))
    assert not precompute(tower, x).requires_grad


def test_checkpoints_round_trip_and_leave_out_skipped_tensors(tmp_path):
    module = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Linear(3, 2))
    save_checkpoint(tmp_path, module, {"layers": 2}, files={"labels.json": ["a", "b"]}, skip=("0.",))
    assert set(read_weights(tmp_path)) == {"1.weight", "1.bias"}
    assert json.loads((tmp_path / "labels.json").read_text()) == ["a", "b"]
    fresh = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Linear(3, 2))
    load_weights(tmp_path, fresh, strict=False)
    assert torch.equal(fresh[1].weight, module[1].weight) and not torch.equal(fresh[0].weight, module[0].weight)


def test_the_documented_example_recipe_learns(shapes_world, tmp_path, pytestconfig):
    """demos/colour_probe.py, the recipe docs/plugins.md shows, trains through fit() above chance."""
    import importlib.util

    from mmzoo.data.readers import read_coco_captions

    spec = importlib.util.spec_from_file_location("colour_probe", pytestconfig.rootpath / "demos" / "colour_probe.py")
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    root = shapes_world(n=200, seed=4)
    train, val = (read_coco_captions(root / "annotations" / f"captions_{split}.json", root / "images")
                  for split in ("train", "val"))
    config = TrainConfig(epochs=10, batch_size=16, lr=1e-2, device="cpu")
    history = fit(demo.ColourProbe(train, val), config, tmp_path, progress=False)
    assert max(r["accuracy"] for r in history) > 2 / len(demo.NAMES)  # twice chance
    assert (tmp_path / "best" / "model.safetensors").is_file()


def test_length_buckets_cut_padding_but_keep_every_sample_once_in_a_random_order():
    import random

    from mmzoo.train.loop import _batches

    draw = random.Random(1)
    lengths = [draw.randint(10, 1000) for _ in range(1000)]
    samples = list(range(1000))
    plain = list(_batches(samples, 16, 1, random.Random(0)))
    bucketed = list(_batches(samples, 16, 1, random.Random(0), lengths))
    assert sorted(i for b in bucketed for i in b) == samples
    padding = lambda batches: sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b)  # noqa: E731
                                  for b in batches)
    assert padding(bucketed) < 0.2 * padding(plain)
    assert bucketed != list(_batches(samples, 16, 1, random.Random(1), lengths))  # each epoch its own order
    longest = [max(lengths[i] for i in b) for b in bucketed[:10]]
    assert longest != sorted(longest)  # the batches are not served shortest first
    with pytest.raises(ValueError, match="lengths"):
        list(_batches(samples, 16, 1, random.Random(0), lengths[:10]))
