"""GradInit (LRsI in ToST): learn one scale per parameter tensor before training.

Zhu et al., NeurIPS 2021, https://arxiv.org/abs/2102.08098; ToST (Jaiswal et al., ICML 2022)
applies it to sparse networks after the mask (../shared/METHODS.md section 2). Each iteration
splits a batch in two halves: g is the gradient on the first; if ||g|| > gamma the objective is
||g|| (bring the gradient norm under the bound), else L(theta - eta * g / ||g||) / eta on the
second half (one normalised SGD step from the scaled init should reduce the loss most). The
scales are trained with Adam (lr 1e-2, gradient norm clipped to 1) and kept >= 0.01.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from automl_sparse._errors import UserError
from automl_sparse.activations import ActivationSlot
from automl_sparse.pruning._masks import MASK, apply_masks

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _scaled_names(model: nn.Module) -> list[str]:
    """Trainable parameters outside activation slots (activation inits have a meaning)."""
    slots = [n + "." for n, m in model.named_modules() if isinstance(m, ActivationSlot)]
    return [
        name
        for name, p in model.named_parameters()
        if p.requires_grad and not any(name.startswith(s) for s in slots)
    ]


def _masks_by_param(model: nn.Module) -> dict[str, torch.Tensor]:
    return {
        f"{name}.weight" if name else "weight": m._buffers[MASK]
        for name, m in model.named_modules()
        if m._buffers.get(MASK) is not None
    }


def _halves(batch: Sequence[torch.Tensor], device: torch.device) -> tuple[tuple, tuple]:
    x, y = batch[0].to(device), batch[1].to(device)
    cut = max(len(x) // 2, 1)
    first = (x[:cut], y[:cut])
    return first, (x[cut:], y[cut:]) if len(x) > cut else first


def gradinit(
    model: nn.Module,
    batches: Iterable[Sequence[torch.Tensor]],
    loss_fn: LossFn = F.cross_entropy,
    *,
    eta: float = 0.1,
    gamma: float = 1.0,
    lr: float = 1e-2,
    min_scale: float = 0.01,
    iterations: int = 180,
    grad_clip: float = 1.0,
) -> dict[str, float]:
    """Rescale ``model``'s parameters in place by GradInit; returns the scale of each tensor.

    ``batches`` (``(x, y)`` pairs) are cycled through. Masks are applied first and stay applied
    (the look-ahead step is masked too); buffers such as BatchNorm statistics are restored.
    """
    found = list(batches)
    if not found:
        raise UserError("gradinit needs at least one (x, y) batch")
    apply_masks(model)
    names = _scaled_names(model)
    params = dict(model.named_parameters())
    base = {n: params[n].detach().clone() for n in names}
    scales = {n: torch.ones((), device=base[n].device, requires_grad=True) for n in names}
    optimizer = torch.optim.Adam(scales.values(), lr=lr)
    masks = _masks_by_param(model)
    saved = {n: b.clone() for n, b in model.named_buffers()}
    device = next(iter(base.values())).device
    for batch in itertools.islice(itertools.cycle(found), iterations):
        first, second = _halves(batch, device)
        scaled = {n: scales[n] * base[n] for n in names}
        objective = _objective(model, scaled, masks, first, second, loss_fn, eta, gamma)
        optimizer.zero_grad()
        objective.backward()
        nn.utils.clip_grad_norm_(scales.values(), grad_clip)
        optimizer.step()
        with torch.no_grad():
            for s in scales.values():
                s.clamp_(min=min_scale)
    _write_back(model, base, scales, saved)
    return {n: float(s.detach()) for n, s in scales.items()}


def _objective(
    model: nn.Module,
    scaled: dict[str, torch.Tensor],
    masks: dict[str, torch.Tensor],
    first: tuple,
    second: tuple,
    loss_fn: LossFn,
    eta: float,
    gamma: float,
) -> torch.Tensor:
    loss = loss_fn(functional_call(model, scaled, (first[0],)), first[1])
    grads = torch.autograd.grad(loss, list(scaled.values()), create_graph=True)
    grads = [g * masks[n] if n in masks else g for n, g in zip(scaled, grads, strict=True)]
    norm = torch.sqrt(sum((g * g).sum() for g in grads))
    if norm > gamma:
        return norm
    step = eta / norm.clamp_min(1e-12)
    ahead = {n: p - step * g for (n, p), g in zip(scaled.items(), grads, strict=True)}
    return loss_fn(functional_call(model, ahead, (second[0],)), second[1]) / eta


@torch.no_grad()
def _write_back(
    model: nn.Module,
    base: dict[str, torch.Tensor],
    scales: dict[str, torch.Tensor],
    buffers: dict[str, torch.Tensor],
) -> None:
    params = dict(model.named_parameters())
    for n, value in base.items():
        params[n].copy_(scales[n] * value)
    for n, b in model.named_buffers():
        if n in buffers:
            b.copy_(buffers[n])
    apply_masks(model)
