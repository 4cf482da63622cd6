"""The eight DARTS primitives, every convolution a HYDRA score layer.

Liu et al., DARTS, ICLR 2019, https://arxiv.org/abs/1806.09055 (operations of the search
space); DASS (Mousavi, Loni et al., ../shared/METHODS.md section 4) replaces each convolution
by HYDRA's :class:`~automl_sparse.pruning.SparseConv2d` (Sehwag et al., NeurIPS 2020) so that
the search sees the masked operations.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from automl_sparse._errors import unknown_name
from automl_sparse.pruning import SparseConv2d

NONE = "none"
PRIMITIVES = (
    NONE,
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
"""The DARTS operation set, in the order of the architecture weights' last dimension."""


def sparse_conv(
    c_in: int,
    c_out: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    groups: int = 1,
    sparsity: float = 0.0,
) -> SparseConv2d:
    """A bias-free HYDRA convolution (every convolution of a DASS cell is one)."""
    return SparseConv2d(
        c_in,
        c_out,
        kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        bias=False,
        sparsity=sparsity,
    )


class ReLUConvBN(nn.Sequential):
    """ReLU -> convolution -> batch norm (DARTS' preprocessing of a cell's inputs)."""

    def __init__(
        self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, affine: bool
    ) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            sparse_conv(c_in, c_out, kernel, stride, padding),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class DilConv(nn.Sequential):
    """ReLU -> dilated depthwise convolution -> pointwise convolution -> batch norm."""

    def __init__(
        self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, dilation: int,
        affine: bool,
    ) -> None:  # fmt: skip
        super().__init__(
            nn.ReLU(inplace=False),
            sparse_conv(c_in, c_in, kernel, stride, padding, dilation, groups=c_in),
            sparse_conv(c_in, c_out, 1),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class SepConv(nn.Sequential):
    """Two stacked depthwise-separable convolutions (the first strided), as in DARTS."""

    def __init__(
        self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, affine: bool
    ) -> None:
        super().__init__(
            DilConv(c_in, c_in, kernel, stride, padding, 1, affine),
            DilConv(c_in, c_out, kernel, 1, padding, 1, affine),
        )


class Zero(nn.Module):
    """The ``none`` operation: zeros of the output's shape."""

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, :: self.stride, :: self.stride].mul(0.0)


class FactorizedReduce(nn.Module):
    """Halve the resolution with two offset stride-2 1x1 convolutions, concatenated."""

    def __init__(self, c_in: int, c_out: int, affine: bool) -> None:
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = sparse_conv(c_in, c_out // 2, 1, stride=2)
        self.conv_2 = sparse_conv(c_in, c_out - c_out // 2, 1, stride=2)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        shifted = nn.functional.pad(x[:, :, 1:, 1:], (0, 1, 0, 1))  # odd sides stay aligned
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(shifted)], dim=1))


def _pool(kind: type[nn.Module]) -> Callable[[int, int, bool], nn.Module]:
    def build(c: int, stride: int, affine: bool) -> nn.Module:
        if kind is nn.AvgPool2d:
            return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
        return nn.MaxPool2d(3, stride=stride, padding=1)

    return build


def _skip(c: int, stride: int, affine: bool) -> nn.Module:
    return nn.Identity() if stride == 1 else FactorizedReduce(c, c, affine)


OpFactory = Callable[[int, int, bool], nn.Module]
"""(channels, stride, affine) -> the operation."""

OPS: dict[str, OpFactory] = {
    NONE: lambda c, stride, affine: Zero(stride),
    "max_pool_3x3": _pool(nn.MaxPool2d),
    "avg_pool_3x3": _pool(nn.AvgPool2d),
    "skip_connect": _skip,
    "sep_conv_3x3": lambda c, stride, affine: SepConv(c, c, 3, stride, 1, affine),
    "sep_conv_5x5": lambda c, stride, affine: SepConv(c, c, 5, stride, 2, affine),
    "dil_conv_3x3": lambda c, stride, affine: DilConv(c, c, 3, stride, 2, 2, affine),
    "dil_conv_5x5": lambda c, stride, affine: DilConv(c, c, 5, stride, 4, 2, affine),
}
"""Every primitive by name."""
assert tuple(OPS) == PRIMITIVES


def create_op(name: str, channels: int, stride: int, affine: bool = True) -> nn.Module:
    """The primitive ``name`` on ``channels`` channels."""
    if name not in OPS:
        raise unknown_name("DARTS operation", name, list(OPS))
    return OPS[name](channels, stride, affine)
