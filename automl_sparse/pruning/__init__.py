"""Pruning: masks as explicit state, scores by name, thresholds, and counting.

``prune(model, "magnitude", 0.9, scope="layer")`` prunes in place and returns a report;
``sparsity(model)``, ``count_params(model)`` and ``count_flops(model, input_shape)`` measure.
"""

from automl_sparse.pruning._counting import count_flops, count_params, layer_sparsity, sparsity
from automl_sparse.pruning._magnitude import global_masks, layerwise_masks, lowest_k_mask
from automl_sparse.pruning._masks import (
    PRUNABLE_TYPES,
    apply_masks,
    attach_mask,
    get_mask,
    keep_masks,
    load_state_with_masks,
    masked_layers,
    prunable_layers,
    remove_masks,
)
from automl_sparse.pruning._prune import (
    PruneReport,
    Scope,
    list_pruning_methods,
    prune,
    register_scorer,
)

__all__ = [
    "PRUNABLE_TYPES",
    "PruneReport",
    "Scope",
    "apply_masks",
    "attach_mask",
    "count_flops",
    "count_params",
    "get_mask",
    "global_masks",
    "keep_masks",
    "layer_sparsity",
    "layerwise_masks",
    "list_pruning_methods",
    "load_state_with_masks",
    "lowest_k_mask",
    "masked_layers",
    "prunable_layers",
    "prune",
    "register_scorer",
    "remove_masks",
    "sparsity",
]
