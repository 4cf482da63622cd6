"""What a study holds, as plain data for tables and JSON."""

from __future__ import annotations

from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from automl_sparse.storage import keys

_METRICS = (
    keys.VAL_ACCURACY,
    keys.TEST_ACCURACY,
    keys.SPARSITY,
    keys.NONZERO_PARAMS,
    keys.FLOPS,
    keys.LATENCY_MS,
)


def best_trials(study: optuna.Study) -> list[FrozenTrial]:
    """The best trial, or the Pareto front for several objectives (empty before any completes)."""
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return []
    if len(study.directions) > 1:
        return sorted(study.best_trials, key=lambda t: t.number)
    return [study.best_trial]


def trial_row(trial: FrozenTrial) -> dict[str, Any]:
    """A trial as plain data: number, state, values, parameters, metrics."""
    attrs = trial.user_attrs
    return {
        "number": trial.number,
        "state": trial.state.name,
        "values": trial.values,
        "params": attrs.get(keys.PARAMS, trial.params),
        "metrics": {k: attrs[k] for k in _METRICS if k in attrs},
        "activations": attrs.get(keys.ACTIVATIONS),
        "per_layer_sparsity": attrs.get(keys.PER_LAYER_SPARSITY),
        "fail_reason": attrs.get(keys.FAIL_REASON),
        "retry_of": attrs.get(keys.RETRY_OF),
    }
