"""SynFlow: iterative, data-free synaptic-flow pruning.

Tanaka et al., NeurIPS 2020, https://arxiv.org/abs/2006.05467; ../shared/METHODS.md section 2.
Every parameter is replaced by its magnitude, the input is all ones, R = sum(output) and
s = |w * dR/dw|. Pruning runs ``rounds`` times (100) with density d^((e+1)/rounds), so the
final round prunes to the target. The work happens on a float64 copy of the model in eval mode
(the model itself, its signs and its statistics are untouched); the copy's BatchNorm layers use
zero running means so that they stay positive affine maps, |gamma| x / sqrt(var + eps) + |beta|.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.pruning._magnitude import THRESHOLDS
from automl_sparse.pruning._masks import get_mask
from automl_sparse.pruning._prune import register_scorer

SYNFLOW_ROUNDS = 100


def synflow_density(round_index: int, density: float, rounds: int = SYNFLOW_ROUNDS) -> float:
    """Density kept after round ``round_index`` (from 0): d^((e + 1) / rounds)."""
    return density ** ((round_index + 1) / rounds)


def _input_shape(data: Any, input_shape: Sequence[int] | None) -> tuple[int, ...]:
    if input_shape is not None:
        return tuple(input_shape)
    if data is not None:
        x = next(iter(data))[0]
        return tuple(x.shape[1:])
    raise UserError("synflow needs input_shape=(C, H, W) (or data to read the shape from)")


@torch.no_grad()
def _linearised(model: nn.Module) -> nn.Module:
    """A float64 copy in eval mode with |p| for every parameter and zero BN running means."""
    net = copy.deepcopy(model).double().eval()
    for p in net.parameters():
        p.abs_()
    for m in net.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.running_mean is not None:
            m.running_mean.zero_()
    return net


def _flow(net: nn.Module, weights: list[torch.Tensor], ones: torch.Tensor) -> list[torch.Tensor]:
    """|w * dR/dw| for R = sum(net(ones))."""
    grads = torch.autograd.grad(net(ones).sum(), weights)
    return [(w * g).detach().abs() for w, g in zip(weights, grads, strict=True)]


@register_scorer("synflow")
def synflow_scores(
    model: nn.Module,
    layers: dict[str, nn.Module],
    data: Any = None,
    *,
    sparsity: float = 0.0,
    scope: str = "global",
    rounds: int = SYNFLOW_ROUNDS,
    input_shape: Sequence[int] | None = None,
    **_: Any,
) -> dict[str, torch.Tensor]:
    """Scores of the last SynFlow round; weights pruned by earlier rounds score -inf.

    ``input_shape`` (C, H, W) is needed unless ``data`` gives it. ``rounds=1`` is one-shot.
    """
    if rounds < 1:
        raise UserError(f"synflow needs at least one round, but got {rounds=}")
    net = _linearised(model)
    modules = dict(net.named_modules())
    weights = [modules[name].weight for name in layers]
    ones = torch.ones(1, *_input_shape(data, input_shape), dtype=torch.float64)
    ones = ones.to(weights[0].device)
    masks = {name: _mask_of(m) for name, m in layers.items()}
    for e in range(rounds):
        flow = dict(zip(layers, _flow(net, weights, ones), strict=True))
        scores = {n: s.masked_fill(masks[n] == 0, float("-inf")) for n, s in flow.items()}
        if e == rounds - 1:
            return scores
        kept = synflow_density(e, 1.0 - sparsity, rounds)
        for name, new in THRESHOLDS[scope](scores, 1.0 - kept).items():
            masks[name] = masks[name] * new.to(masks[name])
        with torch.no_grad():
            for w, mask in zip(weights, masks.values(), strict=True):
                w.mul_(mask.to(w))
    raise AssertionError("unreachable")


def _mask_of(module: nn.Module) -> torch.Tensor:
    mask = get_mask(module)
    return torch.ones_like(module.weight) if mask is None else mask.detach().clone()
