"""The stopper registry: names to Optuna pruners that end poor trials after an epoch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import optuna

from automl_sparse._errors import UserError, unknown_name

_STARTUP_TRIALS = 5
"""Trials that always run to the end before a median-type rule may stop others."""

_REGISTRY: dict[str, Callable[..., optuna.pruners.BasePruner]] = {
    "none": optuna.pruners.NopPruner,
    "median": lambda **kw: optuna.pruners.MedianPruner(
        **{"n_startup_trials": _STARTUP_TRIALS, "n_warmup_steps": 1, **kw}
    ),
    "percentile": lambda **kw: optuna.pruners.PercentilePruner(
        **{"percentile": 25.0, "n_startup_trials": _STARTUP_TRIALS, "n_warmup_steps": 1, **kw}
    ),
    "successive_halving": lambda **kw: optuna.pruners.SuccessiveHalvingPruner(
        **{"min_resource": 1, **kw}
    ),
    "hyperband": lambda **kw: optuna.pruners.HyperbandPruner(**{"min_resource": 1, **kw}),
}


def list_stoppers() -> list[str]:
    """Every registered stopper name, sorted."""
    return sorted(_REGISTRY)


def check_stopper(name: str, n_objectives: int) -> None:
    """Raise a UserError when ``name`` is unknown or cannot judge ``n_objectives`` objectives."""
    if name not in _REGISTRY:
        raise unknown_name("stopping rule", name, list_stoppers())
    if n_objectives > 1 and name != "none":
        raise UserError(
            f"stopping {name!r} judges one objective, but the study has {n_objectives}; use 'none'"
        )


def create_stopper(name: str, n_objectives: int = 1, **options: Any) -> optuna.pruners.BasePruner:
    """Build the stopper registered as ``name`` with its options."""
    check_stopper(name, n_objectives)
    try:
        return _REGISTRY[name](**options)
    except TypeError as error:
        raise UserError(f"stopping {name!r}: bad option: {error}") from None
