"""One trial, end to end, as a named pipeline; and the dense network it starts from.

A pipeline is ``run(ctx: TrialContext, reporter) -> metrics`` plus the search-space names it
understands. It knows nothing of storage: the study's worker records what it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from automl_sparse._errors import unknown_name
from automl_sparse.pipeline._aaf import (
    AAF_PARAM_NAMES,
    SLOT_GROUPS,
    TRAIN_MODES,
    AafParams,
    run_aaf,
)
from automl_sparse.pipeline._common import build_activation, study_data, study_model, study_slots
from automl_sparse.pipeline._dass import DASS_PARAM_NAMES, DassParams, run_dass
from automl_sparse.pipeline._dense import DenseNetwork, dense_key, dense_path, ensure_dense
from automl_sparse.pipeline._finetune import (
    PARAM_NAMES,
    FinetuneParams,
    TrialContext,
    cpu_latency_ms,
    finetune_params,
    genome,
    run_sparse_finetune,
)
from automl_sparse.pipeline._noop import NOOP_PARAM_NAMES, run_noop
from automl_sparse.training import Reporter


@dataclass(frozen=True)
class Pipeline:
    """A named trial recipe and the parameter names its search space may use."""

    run: Callable[[TrialContext, Reporter | None], dict[str, Any]]
    param_names: frozenset[str]
    needs_dense: bool = True
    needs_model: bool = True
    """False for pipelines that build their own networks (the study's ``model`` is unused)."""


PIPELINES: dict[str, Pipeline] = {
    "sparse_finetune": Pipeline(run_sparse_finetune, PARAM_NAMES),
    "aaf": Pipeline(run_aaf, AAF_PARAM_NAMES),
    "noop": Pipeline(run_noop, NOOP_PARAM_NAMES, needs_dense=False),
    "dass": Pipeline(run_dass, DASS_PARAM_NAMES, needs_dense=False, needs_model=False),
}


def get_pipeline(name: str) -> Pipeline:
    """The pipeline registered as ``name``."""
    if name not in PIPELINES:
        raise unknown_name("pipeline", name, list(PIPELINES))
    return PIPELINES[name]


__all__ = [
    "AAF_PARAM_NAMES",
    "DASS_PARAM_NAMES",
    "PIPELINES",
    "SLOT_GROUPS",
    "TRAIN_MODES",
    "AafParams",
    "DassParams",
    "DenseNetwork",
    "FinetuneParams",
    "Pipeline",
    "TrialContext",
    "build_activation",
    "cpu_latency_ms",
    "dense_key",
    "dense_path",
    "ensure_dense",
    "finetune_params",
    "genome",
    "get_pipeline",
    "run_aaf",
    "run_dass",
    "run_sparse_finetune",
    "study_data",
    "study_model",
    "study_slots",
]
