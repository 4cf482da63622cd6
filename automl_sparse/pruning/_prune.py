"""The public pruning entry point: ``prune(model, method, sparsity, scope=...)``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from automl_sparse._errors import UserError, unknown_name
from automl_sparse.pruning._counting import layer_sparsity, sparsity
from automl_sparse.pruning._magnitude import global_masks, layerwise_masks
from automl_sparse.pruning._masks import attach_mask, prunable_layers

Scope = Literal["layer", "global"]
Scorer = Callable[..., dict[str, torch.Tensor]]
"""Maps (model, layers, data, **kwargs) to one score tensor per layer; the lowest are pruned."""

_SCORERS: dict[str, Scorer] = {}
_THRESHOLDS = {"layer": layerwise_masks, "global": global_masks}


def register_scorer(name: str) -> Callable[[Scorer], Scorer]:
    """Register a pruning score under ``name`` (a method for :func:`prune`)."""

    def decorate(scorer: Scorer) -> Scorer:
        _SCORERS[name] = scorer
        return scorer

    return decorate


def list_pruning_methods() -> list[str]:
    """Every registered pruning method name, sorted."""
    return sorted(_SCORERS)


@dataclass(frozen=True)
class PruneReport:
    """What :func:`prune` did: the method, the target and the sparsity reached."""

    method: str
    scope: str
    target: float
    achieved: float
    per_layer: dict[str, float]


@register_scorer("magnitude")
def magnitude_scores(
    model: nn.Module, layers: dict[str, nn.Module], data: Any = None, **_: Any
) -> dict[str, torch.Tensor]:
    """|w| (one-shot magnitude pruning; LWM with scope="layer")."""
    return {name: m.weight.detach().abs() for name, m in layers.items()}


def prune(
    model: nn.Module,
    method: str,
    sparsity_target: float,
    *,
    scope: Scope = "layer",
    data: Any = None,
    **kwargs: Any,
) -> PruneReport:
    """Prune ``model`` in place to ``sparsity_target`` (fraction of zeros) by ``method``'s scores.

    ``scope="layer"`` prunes the same fraction of every conv and linear layer (LWM);
    ``"global"`` ranks all weights together. Masks are attached as explicit state.
    """
    if not 0.0 <= sparsity_target < 1.0:
        raise UserError(f"sparsity must be in [0, 1), but got {sparsity_target=}")
    if method not in _SCORERS:
        raise unknown_name("pruning method", method, list_pruning_methods())
    if scope not in _THRESHOLDS:
        raise unknown_name("pruning scope", scope, list(_THRESHOLDS))
    layers = prunable_layers(model)
    scores = _SCORERS[method](model, layers, data, **kwargs)
    for name, mask in _THRESHOLDS[scope](scores, sparsity_target).items():
        attach_mask(layers[name], mask)
    return PruneReport(method, scope, sparsity_target, sparsity(model), layer_sparsity(model))
