"""SAFS activations: ``alpha * op(beta * x)`` with a unary operator per layer.

Loni et al., "Learning Activation Functions for Sparse Neural Networks" (AutoML-Conf 2023,
https://arxiv.org/abs/2305.10964); ../shared/METHODS.md section 1. ``alpha`` and ``beta`` are
scalars per layer initialised to 1. Stage 1 (operator search) freezes them while operators
with their own parameters (swish, tanhsoft1, acon_c, srs) keep those trainable; stage 2
(fine-tuning HPO) trains alpha and beta too. Every operator is registered as ``safs_<op>``.

Naming rule: every activation name is a lower-case Python identifier (letters, digits and
``_``), so it is a plain YAML scalar and a valid Optuna categorical value. Operator names
follow it too: the paper's ACON-C is ``acon_c`` (``safs_acon_c``); there are no aliases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from automl_sparse._errors import UserError, unknown_name
from automl_sparse.activations import _fused
from automl_sparse.activations._fixed import SymExp, SymLog
from automl_sparse.activations._fused import SRS_EXP_LIMIT
from automl_sparse.activations._registry import register_activation

_FUSED_PARAMS: dict[str, tuple[str, ...]] = {
    "swish": ("p",),
    "tanhsoft1": ("p1",),
    "acon_c": ("p1", "p2", "p3"),
    "srs": ("p1", "p2"),
}
"""Operators whose ``alpha * op(beta*x)`` runs as one fused autograd function, and the
order in which their parameters go to it (see ``_fused.SAFS_FUSED``)."""


def _scalar(value: float) -> nn.Parameter:
    return nn.Parameter(torch.tensor(float(value)))


class Swish(nn.Module):
    """``x * sigmoid(p*x)``, p learnable, init 1 (Ramachandran et al., arXiv:1710.05941)."""

    def __init__(self, p: float = 1.0) -> None:
        super().__init__()
        self.p = _scalar(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.p * x)


class TanhSoft1(nn.Module):
    """``tanh(p1*x) * softplus(x)``, p1 learnable, init 1 (TanhSoft-1, arXiv:2009.03863)."""

    def __init__(self, p1: float = 1.0) -> None:
        super().__init__()
        self.p1 = _scalar(p1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.p1 * x) * F.softplus(x)


class AconC(nn.Module):
    """ACON-C ``(p1-p2)x * sigmoid(p3*(p1-p2)x) + p2*x`` (Ma et al., arXiv:2009.04759).

    Init p1=1, p2=0, p3=1: the operator starts as swish/SiLU.
    """

    def __init__(self, p1: float = 1.0, p2: float = 0.0, p3: float = 1.0) -> None:
        super().__init__()
        self.p1, self.p2, self.p3 = _scalar(p1), _scalar(p2), _scalar(p3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dx = (self.p1 - self.p2) * x
        return dx * torch.sigmoid(self.p3 * dx) + self.p2 * x


class SoftRootSign(nn.Module):
    """SRS ``x / (x/p1 + exp(-x/p2))``, init p1=5, p2=3 (Zhou et al., arXiv:2003.00547).

    The exponent is clamped at 60 so that very negative inputs give 0, not NaN gradients.
    """

    def __init__(self, p1: float = 5.0, p2: float = 3.0) -> None:
        super().__init__()
        self.p1, self.p2 = _scalar(p1), _scalar(p2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x / (x / self.p1 + torch.exp((-x / self.p2).clamp(max=SRS_EXP_LIMIT)))


_OPERATORS: dict[str, Callable[..., nn.Module]] = {
    "relu6": nn.ReLU6,
    "hardswish": nn.Hardswish,
    "swish": Swish,
    "tanhsoft1": TanhSoft1,
    "acon_c": AconC,
    "gelu": nn.GELU,
    "srs": SoftRootSign,
    "elu": nn.ELU,
    "tanh": nn.Tanh,
    "softplus": nn.Softplus,
    "logsigmoid": nn.LogSigmoid,
    "symlog": SymLog,
    "symexp": SymExp,
}
SAFS_OPERATORS: tuple[str, ...] = tuple(_OPERATORS)
"""The 13 candidate operators of the SAFS search, in the paper's order (ReLU is not one)."""
SAFS_START = "relu"
"""The starting point of the search; registered as ``safs_relu`` but not a candidate."""
SAFS_STAGES: tuple[int, ...] = (1, 2)


class SafsActivation(nn.Module):
    """``alpha * op(beta * x)`` with scalar alpha and beta initialised to 1 (SAFS).

    ``train_scale`` says whether alpha and beta train (stage 2) or stay frozen (stage 1);
    ``op_kwargs`` set the initial values of a parametric operator (e.g. ``p1=5.0`` for srs).
    The parametric operators (swish, tanhsoft1, acon_c, srs) run the whole ``alpha*op(beta*x)``
    as one fused autograd function; ``self.op`` keeps the plain formula as the reference.
    """

    def __init__(self, op: str, *, train_scale: bool = False, **op_kwargs: Any) -> None:
        super().__init__()
        builders = {**_OPERATORS, SAFS_START: nn.ReLU}
        if op not in builders:
            raise unknown_name("SAFS operator", op, list(builders))
        self.op_name = op
        self.op = builders[op](**op_kwargs)
        self.alpha = nn.Parameter(torch.ones(()), requires_grad=train_scale)
        self.beta = nn.Parameter(torch.ones(()), requires_grad=train_scale)

    def set_stage(self, stage: int) -> None:
        """Stage 1: alpha/beta frozen, operator parameters trainable; stage 2: all trainable."""
        if stage not in SAFS_STAGES:
            raise UserError(f"SAFS stage must be one of {SAFS_STAGES}, but got {stage=}")
        self.alpha.requires_grad_(stage == 2)
        self.beta.requires_grad_(stage == 2)
        for p in self.op.parameters():
            p.requires_grad_(True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        names = _FUSED_PARAMS.get(self.op_name)
        if names is None:
            return self.alpha * self.op(self.beta * x)
        ps = [getattr(self.op, n) for n in names]
        return _fused.safs(x, self.alpha, self.beta, self.op_name, *ps)

    def extra_repr(self) -> str:
        return f"op={self.op_name!r}, train_scale={self.alpha.requires_grad}"


def set_safs_stage(model: nn.Module, stage: int) -> int:
    """Set the SAFS stage of every :class:`SafsActivation` in ``model``; returns how many."""
    modules = [m for m in model.modules() if isinstance(m, SafsActivation)]
    for module in modules:
        module.set_stage(stage)
    return len(modules)


def _register(op: str) -> None:
    def build(**kwargs: Any) -> SafsActivation:
        return SafsActivation(op, **kwargs)

    build.__doc__ = f"SAFS ``alpha * {op}(beta * x)``."
    register_activation(f"safs_{op}")(build)


for _op in (SAFS_START, *SAFS_OPERATORS):
    _register(_op)
