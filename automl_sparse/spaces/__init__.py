"""Search spaces: the study's space expanded for a model and sampled on an Optuna trial."""

from automl_sparse.spaces._space import (
    GENE_PREFIX,
    Param,
    expand,
    fixed_values,
    gene_name,
    sample,
)

__all__ = ["GENE_PREFIX", "Param", "expand", "fixed_values", "gene_name", "sample"]
