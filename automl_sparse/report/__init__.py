"""A study report: ``write_report(study, "report/")`` writes ``index.html`` and PNG plots.

Plots (matplotlib's object API): optimisation history, accuracy against sparsity and FLOPs,
Pareto fronts of several metric pairs, parameter importances, the activation per layer over the
best trials, the learned activation shapes (the trials' own artifacts) and the per-layer
sparsity of the best network. Only complete trials are used, so a running study works too.
"""

from automl_sparse.report._data import best_network, complete_trials, pareto_front, ranked
from automl_sparse.report._report import PNG_SIGNATURE, Section, write_report

__all__ = [
    "PNG_SIGNATURE",
    "Section",
    "best_network",
    "complete_trials",
    "pareto_front",
    "ranked",
    "write_report",
]
