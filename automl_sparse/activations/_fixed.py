"""Fixed (parameter-free) activation functions.

The torch ones are registered as they are; the few torch lacks are defined here
(pswish and lisht from ToST, symlog and symexp from SAFS; ../shared/METHODS.md sections 1, 2).
"""

from __future__ import annotations

import torch
from torch import nn

from automl_sparse.activations._registry import register_activation

for _names, _cls in [
    (("relu",), nn.ReLU),
    (("relu6",), nn.ReLU6),
    (("silu", "swish"), nn.SiLU),
    (("gelu",), nn.GELU),
    (("mish",), nn.Mish),
    (("tanh",), nn.Tanh),
    (("sigmoid",), nn.Sigmoid),
    (("elu",), nn.ELU),
    (("selu",), nn.SELU),
    (("softplus",), nn.Softplus),
    (("hardswish",), nn.Hardswish),
    (("logsigmoid",), nn.LogSigmoid),
    (("identity",), nn.Identity),
]:
    register_activation(*_names)(_cls)


@register_activation("pswish")
class PSwish(nn.Module):
    """x * sigmoid(2x), the "pswish" soft activation of ToST (Jaiswal et al., ICML 2022)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(2.0 * x)


@register_activation("lisht")
class LiSHT(nn.Module):
    """x * tanh(x) (LiSHT, Roy et al. 2019; https://arxiv.org/abs/1901.05894)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.tanh(x)


@register_activation("symlog")
class SymLog(nn.Module):
    """sign(x) * log(|x| + 1), a SAFS operator."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sign(x) * torch.log1p(torch.abs(x))


@register_activation("symexp")
class SymExp(nn.Module):
    """sign(x) * (exp(|x|) - 1), a SAFS operator."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sign(x) * torch.expm1(torch.abs(x))
