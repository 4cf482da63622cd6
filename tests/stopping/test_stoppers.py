"""Stoppers: the registry, and the pareto rule on a real two-objective study."""

from __future__ import annotations

from typing import Any

import optuna
import pytest
from optuna.trial import TrialState

from automl_sparse._errors import UserError
from automl_sparse.stopping import ParetoStopper, create_stopper, list_stoppers
from automl_sparse.storage import keys


def test_registry_names_and_objective_counts() -> None:
    assert {"median", "successive_halving", "hyperband", "pareto"} <= set(list_stoppers())
    assert isinstance(create_stopper("pareto", 2), ParetoStopper)
    for name in ("median", "successive_halving", "hyperband"):
        assert isinstance(create_stopper(name), optuna.pruners.BasePruner)
        with pytest.raises(UserError, match="judges one objective"):
            create_stopper(name, 2)
    with pytest.raises(UserError, match="bad option"):
        create_stopper("pareto", 2, min_dominators=0)


def _run(study: optuna.Study, sparsity: float, curve: list[float], param: bool = True) -> int:
    """A 'worker': per-epoch values straight to storage, the stopper asked after each epoch.

    Returns the number of epochs run. Final values: (last accuracy, sparsity).
    """
    trial = study.ask()
    if param:
        trial.suggest_float("sparsity", 0.5, 0.99)  # enqueued: the value below
    storage = study._storage
    for epoch, value in enumerate(curve, start=1):
        storage.set_trial_intermediate_value(trial._trial_id, epoch, value)
        if study.pruner.prune(study, storage.get_trial(trial._trial_id)):
            study.tell(trial, state=TrialState.PRUNED)
            return epoch
    study.tell(trial, [curve[-1], sparsity])
    return len(curve)


def _study(**options: Any) -> optuna.Study:
    study = optuna.create_study(
        directions=["maximize", "maximize"], pruner=create_stopper("pareto", 2, **options)
    )
    study.set_user_attr(
        keys.STUDY_CONFIG,
        {"objectives": [{"metric": "val_accuracy"}, {"metric": "sparsity"}]},
    )
    return study


def _trial(study: optuna.Study, sparsity: float, curve: list[float]) -> int:
    study.enqueue_trial({"sparsity": sparsity})
    return _run(study, sparsity, curve)


def test_pareto_stops_dominated_trials_early_and_lets_others_finish() -> None:
    study = _study(n_startup_trials=3, min_dominators=2)
    good = [0.6, 0.8, 0.9, 0.92]
    for sparsity in (0.9, 0.92, 0.95):  # startup: complete trials, sparse and accurate
        assert _trial(study, sparsity, good) == 4
    # Less sparse and less accurate at epoch 2: dominated by all three, stopped at epoch 2.
    assert _trial(study, 0.6, [0.5, 0.6, 0.7, 0.75]) == 2
    # Less accurate but sparser than all: not dominated on sparsity, runs to the end.
    assert _trial(study, 0.98, [0.5, 0.6, 0.7, 0.75]) == 4
    # Less sparse but more accurate: not dominated, runs to the end.
    assert _trial(study, 0.6, [0.7, 0.85, 0.93, 0.95]) == 4
    states = [t.state for t in study.trials]
    assert states.count(TrialState.PRUNED) == 1


def test_pareto_waits_for_warmup_and_startup_and_needs_known_objectives() -> None:
    study = _study(n_startup_trials=3, min_dominators=1, warmup_epochs=2)
    assert _trial(study, 0.9, [0.9, 0.9, 0.9]) == 3
    assert _trial(study, 0.5, [0.1, 0.1, 0.1]) == 3  # only one complete trial: startup
    assert _trial(study, 0.9, [0.9, 0.9, 0.9]) == 3
    assert _trial(study, 0.5, [0.1, 0.1, 0.1]) == 3  # epoch 3 is the first judged
    # Without a sparsity parameter or attribute the second objective is unknown: never stopped.
    assert _run(study, 0.5, [0.1, 0.1, 0.1, 0.1], param=False) == 4


def test_pareto_with_one_objective_is_worse_than_k_completed() -> None:
    study = optuna.create_study(direction="minimize", pruner=ParetoStopper(n_startup_trials=2))
    storage = study._storage
    for curve, expected in (([0.5, 0.3, 0.2], 3), ([0.5, 0.3, 0.2], 3), ([0.9, 0.8, 0.7], 2)):
        trial = study.ask()
        epochs = 0
        for epoch, loss in enumerate(curve, start=1):
            epochs = epoch
            storage.set_trial_intermediate_value(trial._trial_id, epoch, loss)
            if study.pruner.prune(study, storage.get_trial(trial._trial_id)):
                break
        study.tell(trial, curve[epochs - 1])
        assert epochs == expected
