"""The public pruning entry point: ``prune(model, method, sparsity, scope=...)``.

A method is a *scorer*: a small callable ``(model, layers, data, **kwargs) -> scores`` that
gives one score tensor per prunable layer; the lowest scores are pruned by a threshold, the
same fraction in every layer (``scope="layer"``) or one ranking over all layers
(``scope="global"``). Pruning is cumulative: weights an earlier mask pruned stay pruned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from automl_sparse._errors import UserError, unknown_name
from automl_sparse.pruning._counting import layer_sparsity, sparsity
from automl_sparse.pruning._magnitude import THRESHOLDS
from automl_sparse.pruning._masks import attach_mask, get_mask, prunable_layers

Scope = Literal["layer", "global"]
Scorer = Callable[..., dict[str, torch.Tensor]]
"""Maps ``(model, layers, data, *, sparsity, scope, **kwargs)`` to one score tensor per layer
(the lowest are pruned). ``layers`` maps module paths to the prunable layers; ``data`` is an
iterable of ``(x, y)`` batches or None; scorers ignore keyword arguments they do not use."""

_SCORERS: dict[str, Scorer] = {}
_NEEDS_DATA: set[str] = set()


def register_scorer(name: str, *, needs_data: bool = False) -> Callable[[Scorer], Scorer]:
    """Register a pruning score under ``name`` (a method for :func:`prune`)."""

    def decorate(scorer: Scorer) -> Scorer:
        _SCORERS[name] = scorer
        (_NEEDS_DATA.add if needs_data else _NEEDS_DATA.discard)(name)
        return scorer

    return decorate


def list_pruning_methods() -> list[str]:
    """Every registered pruning method name, sorted."""
    return sorted(_SCORERS)


def pruning_method_needs_data(method: str) -> bool:
    """Whether ``method`` scores weights from data (``prune`` then needs ``data=``)."""
    _check_method(method)
    return method in _NEEDS_DATA


@dataclass(frozen=True)
class PruneReport:
    """What :func:`prune` did: the method, the target and the sparsity reached."""

    method: str
    scope: str
    target: float
    achieved: float
    per_layer: dict[str, float]


def _check_method(method: str) -> None:
    if method not in _SCORERS:
        raise unknown_name("pruning method", method, list_pruning_methods())


def _check_scope(scope: str) -> None:
    if scope not in THRESHOLDS:
        raise unknown_name("pruning scope", scope, list(THRESHOLDS))


def pruning_scores(
    model: nn.Module,
    method: str,
    *,
    data: Any = None,
    sparsity_target: float = 0.0,
    scope: Scope = "layer",
    **kwargs: Any,
) -> dict[str, torch.Tensor]:
    """The scores ``method`` gives every prunable layer of ``model`` (the lowest are pruned)."""
    _check_method(method)
    _check_scope(scope)
    layers = prunable_layers(model)
    return _SCORERS[method](
        model, layers, data, sparsity=sparsity_target, scope=scope, method=method, **kwargs
    )


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
    ``"global"`` ranks all weights together. Masks are attached as explicit state; weights
    already masked stay pruned (so the sparsity reached is at least the earlier one).
    Data-dependent methods (:func:`pruning_method_needs_data`) need ``data``, an iterable of
    ``(x, y)`` batches; other keyword arguments go to the scorer.
    """
    if not 0.0 <= sparsity_target < 1.0:
        raise UserError(f"sparsity must be in [0, 1), but got {sparsity_target=}")
    scores = pruning_scores(
        model, method, data=data, sparsity_target=sparsity_target, scope=scope, **kwargs
    )
    layers = prunable_layers(model)
    old = {name: get_mask(layers[name]) for name in scores}
    scores = {name: _keep_pruned(score, old[name]) for name, score in scores.items()}
    for name, mask in THRESHOLDS[scope](scores, sparsity_target).items():
        attach_mask(layers[name], mask if old[name] is None else mask * old[name])
    return PruneReport(method, scope, sparsity_target, sparsity(model), layer_sparsity(model))


def _keep_pruned(score: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Scores with already-pruned weights ranked lowest (so they stay pruned)."""
    score = score.detach()
    score = score if score.is_floating_point() else score.float()  # float64 scores stay precise
    return score if mask is None else score.masked_fill(mask == 0, float("-inf"))
