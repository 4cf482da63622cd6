"""Channel masks from rotated-activation slopes (structured pruning).

Nayak and Kalyani, rotated ReLU and implicit sparsification, TMLR 2024
(../shared/METHODS.md section 5): ``f_c(x) = a_c * act(x)``; a channel with ``|a_c| <= zeta``
is dead (its output is 0). The protocol: the module inside an
:class:`~automl_sparse.activations.ActivationSlot` has a ``slope`` parameter of shape (C,),
one per channel (dim 1 of the activation's input), and optionally a boolean ``alive`` buffer
of the same shape that already marks pruned channels (as
:class:`~automl_sparse.activations.RotatedActivation` has).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn.parameter import is_lazy

from automl_sparse._errors import UserError
from automl_sparse.activations import ActivationSlot

SLOPE_L1 = 1e-4
"""Strength s of the L1 penalty on slopes: s * sign(a) is added to the slope gradient."""


def sloped_activations(model: nn.Module) -> dict[str, nn.Module]:
    """The activation modules with a per-channel ``slope`` (C,), by slot path."""
    found = {}
    for path, slot in model.named_modules():
        slope = getattr(slot.fn, "slope", None) if isinstance(slot, ActivationSlot) else None
        if isinstance(slope, torch.Tensor):
            if is_lazy(slope):
                raise UserError(f"the slopes of slot {path!r} are not shaped: run a forward pass")
            if slope.dim() == 1:
                found[path] = slot.fn
    return found


def alive_channels(module: nn.Module, zeta: float = 0.0) -> torch.Tensor:
    """Boolean (C,): channels whose slope is above ``zeta`` in magnitude and not masked dead."""
    alive = module.slope.detach().abs() > zeta
    known = getattr(module, "alive", None)
    return alive & known.bool() if isinstance(known, torch.Tensor) else alive


def channel_masks(model: nn.Module, zeta: float = 0.0) -> dict[str, torch.Tensor]:
    """The alive-channel mask of every sloped activation of ``model``, by slot path."""
    if zeta < 0:
        raise UserError(f"zeta must be >= 0, but got {zeta=}")
    return {path: alive_channels(m, zeta) for path, m in sloped_activations(model).items()}


@torch.no_grad()
def kill_channels(model: nn.Module, zeta: float) -> dict[str, torch.Tensor]:
    """Zero every slope with ``|a_c| <= zeta`` (and clear ``alive`` where there is one)."""
    masks = channel_masks(model, zeta)
    for path, module in sloped_activations(model).items():
        module.slope.mul_(masks[path].to(module.slope))
        if isinstance(getattr(module, "alive", None), torch.Tensor):
            module.alive.copy_(masks[path].to(module.alive))
    return masks


def slope_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The per-channel slope parameters of ``model``."""
    return [m.slope for m in sloped_activations(model).values()]


@torch.no_grad()
def add_slope_l1(model: nn.Module, strength: float = SLOPE_L1) -> None:
    """L1 on slopes: add ``strength * sign(a)`` to every slope gradient; call after backward."""
    for slope in slope_parameters(model):
        if slope.grad is not None:
            slope.grad.add_(torch.sign(slope), alpha=strength)


def train_slopes_only(model: nn.Module) -> list[nn.Parameter]:
    """Two-step recipe, step 1: freeze every parameter but the slopes; returns the slopes."""
    slopes = {id(p) for p in slope_parameters(model)}
    for p in model.parameters():
        p.requires_grad_(id(p) in slopes)
    return slope_parameters(model)


def train_weights_only(model: nn.Module, zeta: float) -> list[nn.Parameter]:
    """Two-step recipe, step 2: kill channels with ``|a| <= zeta``, freeze every slope and
    train everything else; returns the trainable parameters."""
    kill_channels(model, zeta)
    slopes = {id(p) for p in slope_parameters(model)}
    for p in model.parameters():
        p.requires_grad_(id(p) not in slopes)
    return [p for p in model.parameters() if p.requires_grad]


def two_step_rotated(
    model: nn.Module,
    train_fn: Callable[[nn.Module, list[nn.Parameter]], Any],
    zeta: float,
) -> dict[str, torch.Tensor]:
    """The two-step variant: train slopes with weights frozen at init, kill the small slopes,
    freeze them, train the weights. ``train_fn(model, params)`` trains ``params``."""
    train_fn(model, train_slopes_only(model))
    train_fn(model, train_weights_only(model, zeta))
    return channel_masks(model, zeta)
