"""Samplers by name. They ARE Optuna samplers: ``create_sampler("tpe", seed=0)``.

Optuna's (tpe, random, cmaes, gp, nsga2, nsga3, qmc, grid), SMAC3 (smac) and the SAFS local
searches over the activation genome (lahc, sa, rs, ga).
"""

from automl_sparse.samplers import _optuna, _safs, _smac  # noqa: F401  (they register)
from automl_sparse.samplers._registry import (
    check_sampler,
    create_sampler,
    list_samplers,
    register_sampler,
)
from automl_sparse.samplers._safs import GenomeSampler
from automl_sparse.samplers._smac import SmacSampler

__all__ = [
    "GenomeSampler",
    "SmacSampler",
    "check_sampler",
    "create_sampler",
    "list_samplers",
    "register_sampler",
]
