"""Pruning: masks as explicit state, scores by name, thresholds, schedules and counting.

``prune(model, "magnitude", 0.9, scope="layer")`` prunes in place and returns a report;
``sparsity(model)``, ``count_params(model)`` and ``count_flops(model, input_shape)`` measure.

- scores (``list_pruning_methods()``): ``random``, ``magnitude``, ``taylor``, ``snip``,
  ``grasp`` (these three need ``data=``, an iterable of ``(x, y)`` batches), ``synflow``
  (data-free, iterative; needs ``input_shape=``); :func:`register_scorer` adds one.
- schedules: one shot (:func:`prune`), :class:`GradualMagnitudePruning` (GMP, cubic),
  :func:`lottery_ticket` (IMP with rewinding).
- HYDRA learned scores: :class:`SparseConv2d`, :class:`SparseLinear`, :func:`to_scored`,
  :func:`set_scored_phase`, :func:`from_scored`.
- structured: channel masks from rotated-activation slopes (:func:`channel_masks`,
  :func:`kill_channels`, :func:`add_slope_l1`, the two-step recipe) and :func:`shrink`, which
  removes dead channels physically.
- ToST: :func:`gradinit`; dense layers next to pruned ones: :func:`exempt_from_pruning`.
"""

from automl_sparse.pruning import _scores, _synflow  # noqa: F401  (fill the scorer registry)
from automl_sparse.pruning._channels import (
    SLOPE_L1,
    add_slope_l1,
    alive_channels,
    channel_masks,
    kill_channels,
    slope_parameters,
    sloped_activations,
    train_slopes_only,
    train_weights_only,
    two_step_rotated,
)
from automl_sparse.pruning._counting import (
    count_flops,
    count_params,
    cpu_latency_ms,
    layer_sparsity,
    sparsity,
)
from automl_sparse.pruning._gradinit import gradinit
from automl_sparse.pruning._hydra import (
    SCORED_TYPES,
    SparseConv2d,
    SparseLinear,
    from_scored,
    scaled_score_init,
    set_scored_phase,
    to_scored,
)
from automl_sparse.pruning._magnitude import (
    THRESHOLDS,
    global_masks,
    layerwise_masks,
    lowest_k_mask,
)
from automl_sparse.pruning._masks import (
    PRUNABLE_TYPES,
    apply_masks,
    attach_mask,
    exempt_from_pruning,
    get_mask,
    keep_masks,
    load_state_with_masks,
    masked_layers,
    prunable_layers,
    remove_masks,
    weight_layers,
)
from automl_sparse.pruning._prune import (
    PruneReport,
    Scope,
    list_pruning_methods,
    prune,
    pruning_method_needs_data,
    pruning_scores,
    register_scorer,
)
from automl_sparse.pruning._schedules import (
    GradualMagnitudePruning,
    gmp_sparsity,
    imp_sparsity,
    lottery_ticket,
)
from automl_sparse.pruning._scores import (
    grasp_scores,
    magnitude_scores,
    random_scores,
    snip_scores,
    taylor_scores,
)
from automl_sparse.pruning._shrink import shrink
from automl_sparse.pruning._synflow import SYNFLOW_ROUNDS, synflow_density, synflow_scores

__all__ = [
    "PRUNABLE_TYPES",
    "SCORED_TYPES",
    "SLOPE_L1",
    "SYNFLOW_ROUNDS",
    "THRESHOLDS",
    "GradualMagnitudePruning",
    "PruneReport",
    "Scope",
    "SparseConv2d",
    "SparseLinear",
    "add_slope_l1",
    "alive_channels",
    "apply_masks",
    "attach_mask",
    "channel_masks",
    "count_flops",
    "count_params",
    "cpu_latency_ms",
    "exempt_from_pruning",
    "from_scored",
    "get_mask",
    "global_masks",
    "gmp_sparsity",
    "gradinit",
    "grasp_scores",
    "imp_sparsity",
    "keep_masks",
    "kill_channels",
    "layer_sparsity",
    "layerwise_masks",
    "list_pruning_methods",
    "load_state_with_masks",
    "lottery_ticket",
    "lowest_k_mask",
    "magnitude_scores",
    "masked_layers",
    "prunable_layers",
    "prune",
    "pruning_method_needs_data",
    "pruning_scores",
    "random_scores",
    "register_scorer",
    "remove_masks",
    "scaled_score_init",
    "set_scored_phase",
    "shrink",
    "slope_parameters",
    "sloped_activations",
    "snip_scores",
    "sparsity",
    "synflow_density",
    "synflow_scores",
    "taylor_scores",
    "to_scored",
    "train_slopes_only",
    "train_weights_only",
    "two_step_rotated",
    "weight_layers",
]
