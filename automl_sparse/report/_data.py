"""What a report reads from a study: complete trials, metrics, Pareto fronts, best trials."""

from __future__ import annotations

from collections.abc import Sequence

import optuna
from optuna.trial import FrozenTrial, TrialState

from automl_sparse.config import METRIC_DIRECTIONS
from automl_sparse.storage import keys

BEST_K = 10
"""How many of the best trials the per-layer activation table shows."""


def complete_trials(study: optuna.Study) -> list[FrozenTrial]:
    """The study's complete trials, by number (a running study's finished ones)."""
    return list(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))


def metric(trial: FrozenTrial, key: str) -> float | None:
    """A numeric user attribute of ``trial``, or None."""
    value = trial.user_attrs.get(key)
    return float(value) if isinstance(value, int | float) else None


def _dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    return all(x >= y for x, y in zip(a, b, strict=True)) and any(
        x > y for x, y in zip(a, b, strict=True)
    )


def pareto_front(trials: Sequence[FrozenTrial], metrics: Sequence[str]) -> list[FrozenTrial]:
    """The trials no other trial beats in every one of ``metrics`` (natural directions)."""
    signs = [1.0 if METRIC_DIRECTIONS.get(m, "maximize") == "maximize" else -1.0 for m in metrics]
    points = []
    for trial in trials:
        values = [metric(trial, m) for m in metrics]
        if all(v is not None for v in values):
            points.append((trial, [s * v for s, v in zip(signs, values, strict=True)]))  # type: ignore[operator]
    return [t for t, p in points if not any(_dominates(q, p) for _, q in points)]


def ranked(study: optuna.Study, trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """Trials best first by the first objective (several objectives: Pareto trials first)."""
    sign = -1.0 if study.directions[0] == optuna.study.StudyDirection.MAXIMIZE else 1.0
    front: set[int] = set()
    if len(study.directions) > 1:
        front = {t.number for t in study.best_trials}
    return sorted(trials, key=lambda t: (t.number not in front, sign * t.values[0]))


def best_network(study: optuna.Study, trials: Sequence[FrozenTrial]) -> FrozenTrial:
    """The trial whose network the report describes: the first of :func:`ranked`."""
    return ranked(study, trials)[0]


def genes(trial: FrozenTrial) -> dict[str, str]:
    """Slot path -> activation of ``trial`` (empty when not recorded)."""
    return dict(trial.user_attrs.get(keys.ACTIVATIONS) or {})
