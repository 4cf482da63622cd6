"""Stopping poor trials early, by epoch. Stoppers ARE Optuna pruners: ``create_stopper("median")``.

median, percentile, successive_halving and hyperband judge one objective; ``pareto``
(:class:`ParetoStopper`) judges one or several.

("Pruning" in this project means weights; Optuna's pruners are called stoppers here.)
"""

from automl_sparse.stopping._pareto import ParetoStopper
from automl_sparse.stopping._registry import (
    check_stopper,
    create_stopper,
    list_stoppers,
    register_stopper,
)

__all__ = ["ParetoStopper", "check_stopper", "create_stopper", "list_stoppers", "register_stopper"]
