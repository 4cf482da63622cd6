"""Search spaces: the study's space expanded for a model, sampled on an Optuna trial, and
compiled to Optuna distributions or a ConfigSpace space (for SMAC)."""

from automl_sparse.spaces._check import check_space
from automl_sparse.spaces._configspace import from_configuration, to_configspace, to_configuration
from automl_sparse.spaces._distributions import distribution, search_space_distributions
from automl_sparse.spaces._space import (
    GENE_PREFIX,
    Param,
    expand,
    fixed_values,
    gene_name,
    sample,
)

__all__ = [
    "GENE_PREFIX",
    "Param",
    "check_space",
    "distribution",
    "expand",
    "fixed_values",
    "from_configuration",
    "gene_name",
    "sample",
    "search_space_distributions",
    "to_configspace",
    "to_configuration",
]
