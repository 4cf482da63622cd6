"""The DASS search network: DARTS cells of mixed operations whose convolutions are sparse.

Liu et al., DARTS, ICLR 2019, https://arxiv.org/abs/1806.09055 (``model_search.py``): every
edge is a softmax(alpha)-weighted sum of the eight primitives; ``cells`` cells, the ones at a
third and two thirds of the depth reduce. DASS (METHODS section 4) makes every convolution a
HYDRA score layer, so alpha can be optimised on the loss of the *masked* supernet.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from automl_sparse.dass._genotype import STEPS, Genotype, derive_genotype, n_edges
from automl_sparse.dass._ops import PRIMITIVES, FactorizedReduce, ReLUConvBN, create_op, sparse_conv
from automl_sparse.pruning import SparseLinear

STEM_MULTIPLIER = 3
"""The stem widens the input to this many times ``channels`` (DARTS)."""
ALPHA_INIT_SCALE = 1e-3
"""alpha starts at this scale times a standard normal (DARTS)."""


def reduction_cells(cells: int) -> set[int]:
    """Indices of the reduction cells: at one and two thirds of the depth (DARTS)."""
    return {cells // 3, 2 * cells // 3}


CellFactory = Callable[[int, int, int, bool, bool], nn.Module]
"""``make(c_pp, c_p, c, reduction, reduction_prev)``: a cell with an ``out_multiplier``."""


def stem_and_cells(
    in_channels: int, channels: int, cells: int, make_cell: CellFactory
) -> tuple[nn.Module, nn.ModuleList, int]:
    """The DARTS stem and ``cells`` cells, channels doubled at each reduction.

    Returns the stem, the cells and the last cell's output channels.
    """
    stem_channels = STEM_MULTIPLIER * channels
    stem = nn.Sequential(
        sparse_conv(in_channels, stem_channels, 3, padding=1), nn.BatchNorm2d(stem_channels)
    )
    c_pp, c_p, c = stem_channels, stem_channels, channels
    reduction_prev = False
    stack = nn.ModuleList()
    for index in range(cells):
        reduction = index in reduction_cells(cells)
        c = 2 * c if reduction else c
        cell = make_cell(c_pp, c_p, c, reduction, reduction_prev)
        stack.append(cell)
        reduction_prev = reduction
        c_pp, c_p = c_p, int(cell.out_multiplier) * c
    return stem, stack, c_p


class MixedOp(nn.Module):
    """An edge: every primitive applied to the input, summed with the edge's weights."""

    def __init__(self, channels: int, stride: int) -> None:
        super().__init__()
        self.ops = nn.ModuleList(
            create_op(name, channels, stride, affine=False) for name in PRIMITIVES
        )

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return sum((w * op(x) for w, op in zip(weights, self.ops, strict=True)), torch.zeros(()))


def preprocess(c_in: int, c_out: int, reduce_input: bool, affine: bool = False) -> nn.Module:
    """Bring a cell input to ``c_out`` channels (and half size after a reduction cell)."""
    if reduce_input:
        return FactorizedReduce(c_in, c_out, affine)
    return ReLUConvBN(c_in, c_out, 1, 1, 0, affine)


class SearchCell(nn.Module):
    """A cell of ``STEPS`` intermediate nodes; node i takes every earlier node as input."""

    def __init__(self, c_pp: int, c_p: int, c: int, reduction: bool, reduction_prev: bool) -> None:
        super().__init__()
        self.reduction = reduction
        self.out_multiplier = STEPS
        self.preprocess0 = preprocess(c_pp, c, reduction_prev)
        self.preprocess1 = preprocess(c_p, c, False)
        self.edges = nn.ModuleList(
            MixedOp(c, 2 if reduction and j < 2 else 1) for i in range(STEPS) for j in range(i + 2)
        )

    def forward(  # type: ignore[override]
        self, s0: torch.Tensor, s1: torch.Tensor, weights: torch.Tensor
    ) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        offset = 0
        for _ in range(STEPS):
            inputs = enumerate(states)
            node = sum(self.edges[offset + j](h, weights[offset + j]) for j, h in inputs)
            offset += len(states)
            states.append(node)  # type: ignore[arg-type]
        return torch.cat(states[2:], dim=1)


class Supernet(nn.Module):
    """The one-shot network of the search, with its architecture parameters.

    ``alpha_normal`` and ``alpha_reduce`` (edges x primitives) are the architecture; every
    other parameter is a weight, a batch-norm parameter or a HYDRA score. Optimisers must take
    their parameters from :meth:`arch_parameters` and :meth:`weight_parameters`, never from
    ``parameters()`` (putting alpha under the weight optimiser was the original code's bug).
    """

    def __init__(
        self, in_channels: int, num_classes: int, channels: int = 8, cells: int = 3
    ) -> None:
        super().__init__()
        self.stem, self.cells, c_out = stem_and_cells(in_channels, channels, cells, SearchCell)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = SparseLinear(c_out, num_classes)
        shape = (n_edges(), len(PRIMITIVES))
        self.alpha_normal = nn.Parameter(ALPHA_INIT_SCALE * torch.randn(shape))
        self.alpha_reduce = nn.Parameter(ALPHA_INIT_SCALE * torch.randn(shape))

    def arch_parameters(self) -> list[nn.Parameter]:
        """alpha of the normal and of the reduction cell."""
        return [self.alpha_normal, self.alpha_reduce]

    def weight_parameters(self) -> list[nn.Parameter]:
        """Every trainable parameter that is not architecture (weights and/or scores)."""
        arch = {id(p) for p in self.arch_parameters()}
        return [p for p in self.parameters() if p.requires_grad and id(p) not in arch]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        normal = self.alpha_normal.softmax(dim=-1)
        reduce = self.alpha_reduce.softmax(dim=-1)
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1, reduce if cell.reduction else normal)
        return self.classifier(self.pool(s1).flatten(1))

    def genotype(self) -> Genotype:
        """The cells alpha selects now."""
        return derive_genotype(self.alpha_normal, self.alpha_reduce)
