"""DASS: differentiable architecture search for sparse networks (METHODS section 4).

DARTS cells (Liu et al., ICLR 2019) whose convolutions are HYDRA score layers (Sehwag et al.,
NeurIPS 2020): :class:`Supernet` is searched by :func:`search` (dense pretraining, pruning,
fine-tuning with alpha on the masked supernet's loss, :class:`Architect`), the result is a
:class:`Genotype`, and :class:`EvalNetwork` is that genotype trained by :func:`hydra_train`.
"""

from automl_sparse.dass._architect import ARCH_ORDERS, Architect
from automl_sparse.dass._genotype import (
    DARTS_V2,
    STEPS,
    Genotype,
    derive_genotype,
    genotype_of,
    n_edges,
)
from automl_sparse.dass._hydra_train import (
    EpochCounter,
    HydraSchedule,
    hydra_train,
    set_target_sparsity,
)
from automl_sparse.dass._network import EvalCell, EvalNetwork
from automl_sparse.dass._ops import OPS, PRIMITIVES, create_op
from automl_sparse.dass._plot import plot_genotype
from automl_sparse.dass._search import SearchResult, SearchSettings, search, split_halves
from automl_sparse.dass._supernet import MixedOp, SearchCell, Supernet

__all__ = [
    "ARCH_ORDERS",
    "DARTS_V2",
    "OPS",
    "PRIMITIVES",
    "STEPS",
    "Architect",
    "EpochCounter",
    "EvalCell",
    "EvalNetwork",
    "Genotype",
    "HydraSchedule",
    "MixedOp",
    "SearchCell",
    "SearchResult",
    "SearchSettings",
    "Supernet",
    "create_op",
    "derive_genotype",
    "genotype_of",
    "hydra_train",
    "n_edges",
    "plot_genotype",
    "search",
    "set_target_sparsity",
    "split_halves",
]
