"""Evaluate an exported network on a data set's test split, with no model or search code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from automl_sparse._errors import UserError
from automl_sparse.data import load_data
from automl_sparse.export._measure import (
    accuracy,
    count_flops,
    cpu_latency_ms,
    nonzero_params,
    zero_fraction,
)
from automl_sparse.export._safe import load_exported


def _split_options(metadata: dict[str, Any]) -> dict[str, Any]:
    """The split settings the study used, so that the test split is the same."""
    data = metadata.get("data") or {}
    return {
        "val_fraction": data.get("val_fraction", 0.1),
        "test_fraction": data.get("test_fraction", 0.2),
        "seed": data.get("seed", 0),
        "image_size": data.get("image_size"),
    }


def evaluate_exported(
    path: Path | str, data: str, *, root: str | None = None, download: bool = False
) -> dict[str, Any]:
    """Accuracy on ``data``'s test split, sparsity, parameters, FLOPs and CPU latency."""
    module, metadata = load_exported(path)
    splits = load_data(data, root=root, download=download, **_split_options(metadata))
    expected = metadata.get("input_shape")
    if expected is not None and list(splits.input_shape) != list(expected):
        raise UserError(
            f"data {data!r} has inputs of shape {list(splits.input_shape)}, but the network "
            f"takes {expected}"
        )
    weights = dict(module.named_parameters())
    pruned = metadata.get("prunable_weights") or [n for n, w in weights.items() if w.dim() > 1]
    return {
        "file": str(path),
        "data": data,
        "test_samples": len(splits.test),
        "test_accuracy": accuracy(module, splits.test),
        "sparsity": zero_fraction(weights, pruned),
        "params": sum(w.numel() for w in weights.values()),
        "nonzero_params": nonzero_params(weights, pruned),
        "flops": count_flops(module, splits.input_shape),
        "latency_ms": cpu_latency_ms(module, splits.input_shape),
        "study": metadata.get("study"),
        "trial": metadata.get("trial"),
        "recorded": metadata.get("trial_metrics", {}),
    }
