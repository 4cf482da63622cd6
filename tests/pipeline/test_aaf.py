"""The aaf pipeline: adaptive activations replaced into the trained network, tuned alone."""

from __future__ import annotations

import optuna
import pytest
import torch

from automl_sparse.config import load_study_config
from automl_sparse.pipeline import TrialContext, ensure_dense, run_aaf
from automl_sparse.storage import keys
from automl_sparse.study import launch
from tests._studies import tiny_study

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _aaf_study(name: str, base: str = "relu", **space: object) -> dict:
    study = tiny_study(name, pipeline="aaf")
    study["pretrain"] = {**study["pretrain"], "activation": base}
    study["space"] = {"aaf": "leaf", "init_as": base, "epochs": 1, "batch_size": 64, **space}
    return study


@pytest.mark.parametrize(("base", "aaf"), [("relu", "leaf"), ("relu", "ahaf"), ("silu", "leaf")])
def test_matching_init_keeps_the_function_and_tunes_only_activations(
    write_study, base: str, aaf: str
) -> None:
    config = load_study_config(write_study(_aaf_study("aaf", base)))[0]
    dense = ensure_dense(config, log=lambda _: None)
    params = {"aaf": aaf, "init_as": base, "epochs": 2, "batch_size": 64, "lr": 1e-2}
    context = TrialContext(config, params, seed=0, dense_path=dense.path)
    metrics = run_aaf(context)
    assert metrics[keys.REPLACED_VAL_ACCURACY] == pytest.approx(
        metrics[keys.BASE_VAL_ACCURACY], abs=1e-9
    )
    assert set(metrics[keys.ACTIVATIONS].values()) == {aaf}
    assert metrics[keys.SPARSITY] == 0.0


def test_weights_stay_frozen_while_activations_learn(write_study, tmp_path) -> None:
    config = load_study_config(write_study(_aaf_study("aaf")))[0]
    dense = ensure_dense(config, log=lambda _: None)
    checkpoint = tmp_path / "trial.pt"  # holds the tuned network after the last epoch
    context = TrialContext(
        config,
        {"epochs": 1, "batch_size": 64, "lr": 1e-2},
        seed=0,
        dense_path=dense.path,
        checkpoint=checkpoint,
        work_dir=tmp_path / "plots",
    )
    run_aaf(context)
    tuned = torch.load(checkpoint, weights_only=True)["model"]
    base = torch.load(dense.path, weights_only=True)
    for name, value in base.items():
        assert torch.equal(tuned[name], value), f"{name} moved"
    p3 = tuned["features.act1.fn.p3"]
    assert not torch.equal(p3, torch.full_like(p3, 65536.0)) or not torch.equal(
        tuned["classifier.act4.fn.p1"], torch.ones_like(tuned["classifier.act4.fn.p1"])
    ), "no activation parameter learned"
    shapes = tmp_path / "plots" / "activation_shapes.png"
    assert shapes.read_bytes()[:8] == PNG_SIGNATURE


def test_aaf_study_attaches_plots_as_artifacts(write_study, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'aaf.db'}"
    launch(
        write_study(_aaf_study("aaf-art", sparsity=0.5, slots={"choices": ["all", "classifier"]})),
        storage=url,
        n_trials=2,
        log=lambda _: None,
    )
    study = optuna.load_study(study_name="aaf-art", storage=url)
    for trial in study.trials:
        assert trial.state == optuna.trial.TrialState.COMPLETE
        names = {
            meta.filename
            for meta in optuna.artifacts.get_all_artifact_meta(trial, storage=study._storage)
        }
        assert names == {"model.pt", "layer_sparsity.png", "activation_shapes.png"}
        assert trial.user_attrs[keys.SPARSITY] == pytest.approx(0.5, abs=1e-3)
