"""The ``dass`` pipeline through a real study, and the shipped study file."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from automl_sparse.config import load_study_config
from automl_sparse.dass import Genotype
from automl_sparse.pipeline import DASS_PARAM_NAMES, get_pipeline
from automl_sparse.storage import keys
from automl_sparse.study import check_config, launch
from tests._studies import tiny_study

ROOT = Path(__file__).resolve().parents[2]
TINY = {
    "sparsity": 0.8,
    "channels": 2,
    "cells": 3,
    "search_epochs": 1,
    "prune_epochs": 1,
    "finetune_epochs": 1,
    "arch_lr": {"low": 1e-3, "high": 1e-2, "log": True},
    "eval_channels": 2,
    "eval_cells": 1,
    "eval_pretrain_epochs": 1,
    "eval_prune_epochs": 1,
    "eval_finetune_epochs": 1,
    "batch_size": 256,
}


def test_dass_study_end_to_end(write_study, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'dass.db'}"
    study = tiny_study(
        "dass-tiny",
        pipeline="dass",
        data={"name": "digits", "image_size": 8},
        space=TINY,
        budget={"n_trials": 1},
        artifacts=str(tmp_path / "artifacts"),
    )
    del study["model"]  # dass builds its own networks
    launch(write_study(study), storage=url, log=lambda _: None)
    trial = optuna.load_study(study_name="dass-tiny", storage=url).trials[0]
    assert trial.state == optuna.trial.TrialState.COMPLETE, trial.user_attrs
    attrs = trial.user_attrs
    assert attrs[keys.SPARSITY] == pytest.approx(0.8, abs=0.02)
    assert attrs[keys.FLOPS] > 0 and attrs[keys.NONZERO_PARAMS] > 0
    assert 0.0 <= attrs[keys.TEST_ACCURACY] <= 1.0
    assert attrs[keys.EPOCHS_RUN] == 6  # 3 supernet epochs + 3 HYDRA steps of the network
    assert Genotype.from_dict(attrs[keys.GENOTYPE]).normal_concat == (2, 3, 4, 5)
    names = {
        meta.filename
        for meta in optuna.artifacts.get_all_artifact_meta(
            trial, storage=optuna.load_study(study_name="dass-tiny", storage=url)._storage
        )
    }
    assert {"genotype.png", "layer_sparsity.png", "model.pt"} <= names


def test_dass_needs_no_dense_network_and_knows_its_names() -> None:
    pipeline = get_pipeline("dass")
    assert not pipeline.needs_dense
    assert {"arch_lr", "arch_order", "channels", "cells", "sparsity"} <= DASS_PARAM_NAMES


def test_shipped_dass_study_checks_out() -> None:
    config, _ = load_study_config(ROOT / "studies" / "dass_mnist.yaml")
    check_config(config)
    assert config.pipeline == "dass"


def test_bad_arch_order_is_refused(write_study) -> None:  # type: ignore[no-untyped-def]
    study = tiny_study("dass-bad", pipeline="dass", space={**TINY, "arch_order": 3})
    config, _ = load_study_config(write_study(study))
    with pytest.raises(Exception, match="arch_order"):
        check_config(config)
