"""One trial end to end on a tiny network, and the dense network trained once."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from automl_sparse.config import load_study_config
from automl_sparse.pipeline import (
    TrialContext,
    dense_key,
    ensure_dense,
    genome,
    run_sparse_finetune,
)
from automl_sparse.storage import keys
from automl_sparse.training import EpochResult, StopTraining
from tests._studies import tiny_study

SLOTS = ["features.act1", "features.act2", "classifier.act3", "classifier.act4"]


@pytest.fixture
def config(write_study):  # type: ignore[no-untyped-def]
    return load_study_config(write_study(tiny_study("pipe")))[0]


def _context(config, params, checkpoint: Path | None = None) -> TrialContext:  # type: ignore[no-untyped-def]
    dense = ensure_dense(config, log=lambda _: None)
    return TrialContext(config, params, seed=0, dense_path=dense.path, checkpoint=checkpoint)


def test_dense_network_is_trained_once_and_reused(config) -> None:
    first = ensure_dense(config, log=lambda _: None)
    second = ensure_dense(config, log=lambda _: None)
    assert first.trained_now and not second.trained_now
    assert first.path == second.path and first.val_accuracy == second.val_accuracy
    assert first.val_accuracy > 0.6  # a real network, not a placeholder


def test_dense_key_changes_with_what_determines_the_network(config) -> None:
    longer = config.model_copy(
        update={"pretrain": config.pretrain.model_copy(update={"epochs": 9})}
    )
    reseeded = config.model_copy(update={"seed": 1})
    assert len({dense_key(config), dense_key(longer), dense_key(reseeded)}) == 3
    moved = config.model_copy(
        update={"data": config.data.model_copy(update={"root": "/elsewhere"})}
    )
    assert dense_key(moved) == dense_key(config)


def test_trial_prunes_finetunes_and_measures(config) -> None:
    params = {
        "act.features.act1": "tanh",
        "activation": "silu",
        "sparsity": 0.8,
        "scope": "global",
        "epochs": 2,
        "lr": 3e-3,
        "batch_size": 64,
    }
    reports: list[EpochResult] = []

    class Collect:
        def report(self, result: EpochResult) -> None:
            reports.append(result)

    metrics = run_sparse_finetune(_context(config, params), Collect())
    assert metrics[keys.ACTIVATIONS] == {**dict.fromkeys(SLOTS, "silu"), "features.act1": "tanh"}
    assert metrics[keys.SPARSITY] == pytest.approx(0.8, abs=1e-3)
    assert 0.0 <= metrics[keys.TEST_ACCURACY] <= 1.0 and metrics[keys.VAL_ACCURACY] > 0.3
    assert metrics[keys.NONZERO_PARAMS] < 0.3 * 44426
    assert [r.epoch for r in reports] == [1, 2]
    assert metrics[keys.FLOPS] > 0 and metrics[keys.LATENCY_MS] > 0


def test_learnable_per_channel_activation_in_a_trial(config) -> None:
    params = {"activation": "rotated_relu", "sparsity": 0.5, "epochs": 1, "batch_size": 64}
    metrics = run_sparse_finetune(_context(config, params))
    assert metrics[keys.ACTIVATIONS]["features.act1"] == "rotated_relu"


def test_stopped_trial_stops_after_the_epoch(config) -> None:
    class StopAtOne:
        def report(self, result: EpochResult) -> None:
            raise StopTraining(f"epoch {result.epoch}")

    with pytest.raises(StopTraining, match="epoch 1"):
        run_sparse_finetune(_context(config, {"epochs": 2, "batch_size": 64}), StopAtOne())


def test_trial_resumes_from_its_checkpoint(config, tmp_path: Path) -> None:
    checkpoint = tmp_path / "trial.pt"
    params = {"sparsity": 0.7, "epochs": 2, "batch_size": 64}

    class CrashAfterFirst:
        def report(self, result: EpochResult) -> None:
            if result.epoch == 1:
                raise KeyboardInterrupt  # the worker vanishes after writing its checkpoint

    with pytest.raises(KeyboardInterrupt):
        run_sparse_finetune(_context(config, params, checkpoint), CrashAfterFirst())
    saved = torch.load(checkpoint, weights_only=True)
    assert len(saved["history"]) == 1
    assert any(key.endswith("weight_mask") for key in saved["model"])

    epochs: list[int] = []

    class Collect:
        def report(self, result: EpochResult) -> None:
            epochs.append(result.epoch)

    metrics = run_sparse_finetune(_context(config, params, checkpoint), Collect())
    assert epochs == [1, 2]  # epoch 1 replayed from the checkpoint, epoch 2 trained
    assert metrics[keys.EPOCHS_RUN] == 2
    assert metrics[keys.SPARSITY] == pytest.approx(0.7, abs=1e-3)


def test_genome_from_params() -> None:
    assert genome({"act.a": "tanh"}, ["a", "b"], "relu") == {"a": "tanh", "b": "relu"}
    assert genome({"activation": "gelu"}, ["a"], "relu") == {"a": "gelu"}


@pytest.mark.parametrize("method", ["snip", "taylor", "synflow", "random"])
def test_every_one_shot_method_reaches_the_target(config, method: str) -> None:
    params = {"method": method, "sparsity": 0.7, "scope": "global", "epochs": 1, "batch_size": 64}
    metrics = run_sparse_finetune(_context(config, params))
    assert metrics[keys.SPARSITY] == pytest.approx(0.7, abs=1e-3)


def test_gradual_pruning_reaches_the_target_by_the_end(config) -> None:
    seen: list[object] = []

    class Watch:
        def report(self, result: EpochResult) -> None:
            seen.append(result.epoch)

        def record(self, metrics: dict) -> None:
            seen.append(metrics[keys.SPARSITY])

    params = {
        "pruning_schedule": "gmp",
        "sparsity": 0.9,
        "epochs": 2,
        "batch_size": 64,
        "gradinit": True,
    }
    metrics = run_sparse_finetune(_context(config, params), Watch())
    assert metrics[keys.SPARSITY] == pytest.approx(0.9, abs=1e-3)
    assert seen == [1, 2]  # GMP records no early static metrics: they still change


def test_one_shot_records_static_metrics_before_training(config) -> None:
    seen: list[object] = []

    class Watch:
        def report(self, result: EpochResult) -> None:
            seen.append(result.epoch)

        def record(self, metrics: dict) -> None:
            seen.append(round(metrics[keys.SPARSITY], 3))

    run_sparse_finetune(_context(config, {"sparsity": 0.6, "epochs": 1, "batch_size": 64}), Watch())
    assert seen == [0.6, 1]
