"""The stopper registry: names to Optuna pruners that end poor trials after an epoch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import optuna

from automl_sparse._errors import UserError, unknown_name
from automl_sparse.stopping._pareto import ParetoStopper

StopperBuilder = Callable[..., optuna.pruners.BasePruner]

_STARTUP_TRIALS = 5
"""Trials that always run to the end before a median-type rule may stop others."""

_REGISTRY: dict[str, StopperBuilder] = {}
_MULTI_OBJECTIVE: set[str] = set()


def register_stopper(
    name: str, *, multi_objective: bool = False
) -> Callable[[StopperBuilder], StopperBuilder]:
    """Register a stopper builder; ``multi_objective`` if it can judge several objectives.

    A stopper is an ``optuna.pruners.BasePruner``. Workers write one intermediate value per
    epoch (the first objective's metric when it is measured per epoch, else val_accuracy)
    straight to storage and then call ``stopper.prune(study, trial)``, for single- and
    multi-objective studies alike.
    """

    def decorate(builder: StopperBuilder) -> StopperBuilder:
        _REGISTRY[name] = builder
        if multi_objective:
            _MULTI_OBJECTIVE.add(name)
        return builder

    return decorate


register_stopper("none", multi_objective=True)(optuna.pruners.NopPruner)
register_stopper("pareto", multi_objective=True)(ParetoStopper)
register_stopper("median")(
    lambda **kw: optuna.pruners.MedianPruner(
        **{"n_startup_trials": _STARTUP_TRIALS, "n_warmup_steps": 1, **kw}
    )
)
register_stopper("percentile")(
    lambda **kw: optuna.pruners.PercentilePruner(
        **{"percentile": 25.0, "n_startup_trials": _STARTUP_TRIALS, "n_warmup_steps": 1, **kw}
    )
)
register_stopper("successive_halving")(
    lambda **kw: optuna.pruners.SuccessiveHalvingPruner(**{"min_resource": 1, **kw})
)
register_stopper("hyperband")(
    lambda **kw: optuna.pruners.HyperbandPruner(**{"min_resource": 1, **kw})
)


def list_stoppers() -> list[str]:
    """Every registered stopper name, sorted."""
    return sorted(_REGISTRY)


def check_stopper(name: str, n_objectives: int) -> None:
    """Raise a UserError when ``name`` is unknown or cannot judge ``n_objectives`` objectives."""
    if name not in _REGISTRY:
        raise unknown_name("stopping rule", name, list_stoppers())
    if n_objectives > 1 and name not in _MULTI_OBJECTIVE:
        raise UserError(
            f"stopping {name!r} judges one objective, but the study has {n_objectives}; "
            f"use one of {sorted(_MULTI_OBJECTIVE)}"
        )


def create_stopper(name: str, n_objectives: int = 1, **options: Any) -> optuna.pruners.BasePruner:
    """Build the stopper registered as ``name`` with its options."""
    check_stopper(name, n_objectives)
    try:
        return _REGISTRY[name](**options)
    except (TypeError, ValueError) as error:
        raise UserError(f"stopping {name!r}: bad option: {error}") from None
