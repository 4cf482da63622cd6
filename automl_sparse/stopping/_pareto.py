"""A stopper for several objectives: stop a trial that completed trials dominate at its epoch."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import optuna
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from automl_sparse.storage import keys

N_STARTUP_TRIALS = 5
WARMUP_EPOCHS = 1
MIN_DOMINATORS = 2


class ParetoStopper(optuna.pruners.BasePruner):
    """Stop a trial when ``min_dominators`` complete trials dominate it at the same epoch.

    At epoch ``e`` (the trial's last reported step; epochs count from 1), once
    ``e > warmup_epochs`` and at least ``n_startup_trials`` trials are complete, the running
    trial's vector is (its value at epoch ``e``, its value of every other objective) and a
    complete trial's is (its value at epoch ``e``, its final value of every other objective).
    The per-epoch value is the first objective's metric, so it is judged in the first
    objective's direction. A complete trial without a value at epoch ``e`` (it ran fewer
    epochs) is not compared. Dominating means no worse on every objective and better on one.

    The running trial's value of another objective is read from its user attribute named after
    the objective's metric (``sparsity``, ``flops``, ... written once the network is pruned),
    else from its parameter of that name (a searched ``sparsity``). An objective it has no
    value for counts as its best, so the trial is never stopped on a guess. Metric names come
    from ``metrics``, else the study's config attribute, else ``study.metric_names``.

    With one objective this is "worse at epoch e than ``min_dominators`` complete trials".
    """

    def __init__(
        self,
        *,
        n_startup_trials: int = N_STARTUP_TRIALS,
        warmup_epochs: int = WARMUP_EPOCHS,
        min_dominators: int = MIN_DOMINATORS,
        metrics: Sequence[str] | None = None,
    ) -> None:
        if min_dominators < 1:
            raise ValueError(f"min_dominators must be at least 1, but got {min_dominators=}")
        self.n_startup_trials = n_startup_trials
        self.warmup_epochs = warmup_epochs
        self.min_dominators = min_dominators
        self.metrics = list(metrics) if metrics is not None else None

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        epoch = trial.last_step
        if epoch is None or epoch <= self.warmup_epochs:
            return False
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if len(complete) < self.n_startup_trials:
            return False
        signs = [1.0 if d == StudyDirection.MAXIMIZE else -1.0 for d in study.directions]
        mine = self._running_vector(study, trial, epoch, signs)
        dominators = 0
        for other in complete:
            if epoch not in other.intermediate_values:
                continue
            theirs = [other.intermediate_values[epoch], *other.values[1:]]
            dominators += _dominates([s * v for s, v in zip(signs, theirs, strict=True)], mine)
            if dominators >= self.min_dominators:
                return True
        return False

    def _running_vector(
        self, study: Study, trial: FrozenTrial, epoch: int, signs: list[float]
    ) -> list[float]:
        """Higher-is-better values of the running trial; +inf where a value is unknown."""
        vector = [signs[0] * trial.intermediate_values[epoch]]
        names = self._metric_names(study)
        for i in range(1, len(signs)):
            value = _known_value(trial, names[i] if i < len(names) else None)
            vector.append(math.inf if value is None else signs[i] * value)
        return vector

    def _metric_names(self, study: Study) -> list[str]:
        if self.metrics is not None:
            return self.metrics
        config = study.user_attrs.get(keys.STUDY_CONFIG) or {}
        objectives = config.get("objectives") if isinstance(config, dict) else None
        if objectives:
            return [str(o.get("metric")) for o in objectives]
        return list(study.metric_names or [])


def _known_value(trial: FrozenTrial, metric: str | None) -> float | None:
    if metric is None:
        return None
    params: dict[str, Any] = {**trial.params, **(trial.user_attrs.get(keys.PARAMS) or {})}
    for source in (trial.user_attrs, params):
        value = source.get(metric)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def _dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether ``a`` dominates ``b`` (both higher-is-better)."""
    return all(x >= y for x, y in zip(a, b, strict=True)) and any(
        x > y for x, y in zip(a, b, strict=True)
    )
