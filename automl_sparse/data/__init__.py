"""Data by name with deterministic splits: ``load_data("mnist-5k", seed=0)``.

``digits`` and ``mnist-5k`` ship inside package dependencies; ``mnist``, ``fashion-mnist``,
``cifar10`` and ``cifar100`` are read from a local root and downloaded only when asked.
"""

from automl_sparse.data import _sources  # noqa: F401  (fill the registry)
from automl_sparse.data._registry import (
    SHIPPED,
    DataSplits,
    RawData,
    check_dataset_name,
    list_datasets,
    load_data,
    register_dataset,
)

__all__ = [
    "SHIPPED",
    "DataSplits",
    "RawData",
    "check_dataset_name",
    "list_datasets",
    "load_data",
    "register_dataset",
]
