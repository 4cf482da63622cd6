"""The architecture step of DARTS: alpha follows the validation loss, by its own optimiser.

Liu et al., DARTS, ICLR 2019, https://arxiv.org/abs/1806.09055, section 2.3 and
``architect.py``: Adam (betas 0.5, 0.999, weight decay 1e-3) on alpha only. First order uses
the gradient of the validation loss at the current weights; second order uses the unrolled
weights ``w' = w - xi * dL_train/dw`` and subtracts ``xi`` times a finite-difference
Hessian-vector product (equation 8). In DASS (METHODS section 4) the validation loss is that
of the masked supernet. Alpha's gradients are computed with ``torch.autograd.grad`` and set
here, so no weight optimiser ever steps them.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.dass._supernet import Supernet

ARCH_BETAS = (0.5, 0.999)
ARCH_WEIGHT_DECAY = 1e-3
FINITE_DIFFERENCE_SCALE = 0.01
"""The finite-difference step is this divided by the norm of the vector (DARTS)."""
ARCH_ORDERS = (1, 2)

Batch = tuple[torch.Tensor, torch.Tensor]


def gradient(loss: torch.Tensor, params: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    """d loss / d params; zeros for a parameter the loss does not use (alpha_normal of a
    supernet with reduction cells only)."""
    return torch.autograd.grad(loss, params, allow_unused=True, materialize_grads=True)


def _loss(net: nn.Module, batch: Batch) -> torch.Tensor:
    x, y = batch
    return nn.functional.cross_entropy(net(x), y)


class Architect:
    """Updates ``net``'s alpha from validation batches; ``order`` 1 or 2 (unrolled)."""

    def __init__(self, net: Supernet, lr: float, order: int = 1) -> None:
        if order not in ARCH_ORDERS:
            raise UserError(f"arch_order must be 1 or 2, but got {order=}")
        self.net = net
        self.order = order
        self.optimizer = torch.optim.Adam(
            net.arch_parameters(), lr=lr, betas=ARCH_BETAS, weight_decay=ARCH_WEIGHT_DECAY
        )

    def step(
        self, train_batch: Batch, val_batch: Batch, weights: Sequence[nn.Parameter], xi: float,
        weight_decay: float = 0.0,
    ) -> None:  # fmt: skip
        """One alpha update; ``weights``, ``xi`` and ``weight_decay`` define the unrolled step."""
        arch = self.net.arch_parameters()
        if self.order == 1:
            grads = gradient(_loss(self.net, val_batch), arch)
        else:
            grads = self._unrolled(train_batch, val_batch, list(weights), xi, weight_decay)
        self.optimizer.zero_grad(set_to_none=True)
        for alpha, grad in zip(arch, grads, strict=True):
            alpha.grad = grad.detach()
        self.optimizer.step()

    def _unrolled(
        self, train_batch: Batch, val_batch: Batch, weights: list[nn.Parameter], xi: float,
        weight_decay: float,
    ) -> list[torch.Tensor]:  # fmt: skip
        arch = self.net.arch_parameters()
        start = [w.detach().clone() for w in weights]
        step = gradient(_loss(self.net, train_batch), weights)
        with torch.no_grad():
            for w, g in zip(weights, step, strict=True):
                w.sub_(xi * (g + weight_decay * w))
        grads = gradient(_loss(self.net, val_batch), [*weights, *arch])
        d_weights, d_arch = grads[: len(weights)], grads[len(weights) :]
        _assign(weights, start)
        hessian = self._hessian_vector(d_weights, train_batch, weights)
        return [g - xi * h for g, h in zip(d_arch, hessian, strict=True)]

    def _hessian_vector(
        self, vector: Sequence[torch.Tensor], batch: Batch, weights: list[nn.Parameter]
    ) -> list[torch.Tensor]:
        """(d alpha L_train(w + r v) - d alpha L_train(w - r v)) / 2r, r = 0.01 / |v|."""
        norm = torch.cat([v.flatten() for v in vector]).norm()
        r = FINITE_DIFFERENCE_SCALE / norm.clamp_min(1e-12)
        start = [w.detach().clone() for w in weights]
        arch = self.net.arch_parameters()
        sides = []
        for sign in (1.0, -1.0):
            _assign(weights, [w + sign * r * v for w, v in zip(start, vector, strict=True)])
            sides.append(gradient(_loss(self.net, batch), arch))
        _assign(weights, start)
        return [(p - n) / (2 * r) for p, n in zip(*sides, strict=True)]


def _assign(weights: Sequence[nn.Parameter], values: Sequence[torch.Tensor]) -> None:
    with torch.no_grad():
        for w, v in zip(weights, values, strict=True):
            w.copy_(v)
