"""HYDRA learned scores: layers whose mask is the top-k of a trainable score tensor.

Sehwag et al., NeurIPS 2020, https://arxiv.org/abs/2002.10509; used by DASS
(../shared/METHODS.md section 4). The forward pass uses ``W * M`` where ``M`` keeps the
``round((1 - sparsity) * n)`` largest ``|S|`` of the layer; the gradient reaches ``S`` straight
through the top-k. Scores start at ``S = sqrt(6 / fan_in) * W / max|W|`` (magnitude pruning).
Recipe: :func:`to_scored` -> ``set_scored_phase(model, "scores")`` and train (weights frozen)
-> ``set_scored_phase(model, "weights")`` and fine-tune -> :func:`from_scored` (explicit masks).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from automl_sparse._errors import UserError, unknown_name
from automl_sparse.pruning._magnitude import lowest_k_mask
from automl_sparse.pruning._masks import MASK, attach_mask, get_mask, prunable_layers

Phase = Literal["scores", "weights", "both"]


class _TopK(torch.autograd.Function):
    """Forward: the top-k mask of |scores|; backward: the gradient passes straight through."""

    @staticmethod
    def forward(ctx: Any, scores: torch.Tensor, sparsity: float) -> torch.Tensor:
        return lowest_k_mask(scores.abs(), round(sparsity * scores.numel())).to(scores.dtype)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return grad, None


def scaled_score_init(weight: torch.Tensor) -> torch.Tensor:
    """S = sqrt(6 / fan_in) * W / max|W| (HYDRA's scaled score initialisation)."""
    fan_in = weight[0].numel()
    peak = weight.abs().max().clamp_min(torch.finfo(weight.dtype).tiny)
    return math.sqrt(6.0 / fan_in) * weight.detach() / peak


class _Scored:
    """What SparseConv2d and SparseLinear share: the score parameter and the current mask."""

    weight: nn.Parameter
    scores: nn.Parameter
    sparsity: float

    def _init_scores(self, sparsity: float) -> None:
        self.scores = nn.Parameter(torch.empty_like(self.weight))
        self.reset_scores(sparsity)

    def reset_scores(self, sparsity: float) -> None:
        """Target ``sparsity`` and restart the scores from the weights now, in place (so an
        optimiser holding them keeps them): the first mask is magnitude pruning."""
        if not 0.0 <= sparsity < 1.0:
            raise UserError(f"sparsity must be in [0, 1), but got {sparsity=}")
        self.sparsity = sparsity
        with torch.no_grad():
            self.scores.copy_(scaled_score_init(self.weight))

    def score_mask(self) -> torch.Tensor:
        """The mask the scores select now (1 keeps a weight)."""
        return _TopK.apply(self.scores, self.sparsity)

    def masked_weight(self) -> torch.Tensor:
        return self.weight * self.score_mask()


class SparseConv2d(_Scored, nn.Conv2d):
    """A 2-d convolution with HYDRA scores (``sparsity`` is the fraction of pruned weights)."""

    def __init__(self, *args: Any, sparsity: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_scores(sparsity)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.masked_weight(), self.bias)


class SparseLinear(_Scored, nn.Linear):
    """A linear layer with HYDRA scores (``sparsity`` is the fraction of pruned weights)."""

    def __init__(self, *args: Any, sparsity: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_scores(sparsity)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.masked_weight(), self.bias)


SCORED_TYPES = (SparseConv2d, SparseLinear)


def _set(model: nn.Module, path: str, module: nn.Module) -> None:
    parent, _, name = path.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, name, module)


def _layer_args(layer: nn.Module) -> tuple[Any, ...]:
    """The constructor arguments that rebuild ``layer`` (a Conv2d or a Linear)."""
    if isinstance(layer, nn.Conv2d):
        return (
            *(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride),
            *(layer.padding, layer.dilation, layer.groups, layer.bias is not None),
            layer.padding_mode,
        )
    return layer.in_features, layer.out_features, layer.bias is not None


def _scored_copy(layer: nn.Module, sparsity: float) -> nn.Module:
    kind = SparseConv2d if isinstance(layer, nn.Conv2d) else SparseLinear
    with torch.device("meta"):
        new = kind(*_layer_args(layer))
    new.load_state_dict(_plain_state(layer), strict=False, assign=True)
    new._init_scores(sparsity)
    new.train(layer.training)
    return new


def _plain_state(layer: nn.Module) -> dict[str, torch.Tensor]:
    state = {"weight": layer.weight.detach().clone()}
    if get_mask(layer) is not None:
        state["weight"] = state["weight"] * get_mask(layer)
    if layer.bias is not None:
        state["bias"] = layer.bias.detach().clone()
    return state


def to_scored(model: nn.Module, sparsity: float) -> nn.Module:
    """Replace every prunable Conv2d and Linear of ``model`` by its HYDRA version, in place.

    Weights (masked, if a mask was attached) and biases are kept; the scores get the scaled
    init, so the initial mask is layer-wise magnitude pruning at ``sparsity``.
    """
    for path, layer in prunable_layers(model).items():
        if type(layer) in (nn.Conv2d, nn.Linear):
            _set(model, path, _scored_copy(layer, sparsity))
    return model


def from_scored(model: nn.Module) -> nn.Module:
    """Turn every HYDRA layer back into a plain layer with an explicit ``weight_mask``."""
    for path, layer in list(model.named_modules()):
        if isinstance(layer, SCORED_TYPES):
            _set(model, path, _plain_copy(layer))
    return model


def _plain_copy(layer: nn.Module) -> nn.Module:
    mask = layer.score_mask().detach()  # type: ignore[operator]
    kind = nn.Conv2d if isinstance(layer, nn.Conv2d) else nn.Linear
    with torch.device("meta"):
        new = kind(*_layer_args(layer))
    state = {k: v for k, v in layer.state_dict().items() if k not in ("scores", MASK)}
    new.load_state_dict({k: v.clone() for k, v in state.items()}, assign=True)
    attach_mask(new, mask)
    new.train(layer.training)
    return new


def set_scored_phase(model: nn.Module, phase: Phase) -> list[nn.Parameter]:
    """Train the scores only (``"scores"``: every other parameter frozen), everything but the
    scores (``"weights"``) or ``"both"``; returns the parameters left trainable."""
    if phase not in ("scores", "weights", "both"):
        raise unknown_name("HYDRA phase", phase, ["scores", "weights", "both"])
    for module in model.modules():
        if isinstance(module, SCORED_TYPES):
            module.scores.requires_grad_(phase != "weights")
    scores = {id(m.scores) for m in model.modules() if isinstance(m, SCORED_TYPES)}
    for p in model.parameters():
        if id(p) not in scores:
            p.requires_grad_(phase != "scores")
    return [p for p in model.parameters() if p.requires_grad]
