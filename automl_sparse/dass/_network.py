"""The evaluation network: the searched cells stacked and trained from scratch, sparsely.

Liu et al., DARTS, ICLR 2019, https://arxiv.org/abs/1806.09055 (``model.py``,
``NetworkCIFAR``) without the auxiliary head and drop-path, which only pay off over hundreds of
epochs. Every convolution and the classifier are HYDRA score layers (DASS, METHODS section 4),
so the network is pretrained, pruned and fine-tuned by :mod:`automl_sparse.dass._hydra_train`.
"""

from __future__ import annotations

import torch
from torch import nn

from automl_sparse.dass._genotype import Edge, Genotype
from automl_sparse.dass._ops import create_op
from automl_sparse.dass._supernet import preprocess, stem_and_cells
from automl_sparse.pruning import SparseLinear


class EvalCell(nn.Module):
    """One cell of a genotype: two chosen edges per node, the listed nodes concatenated."""

    def __init__(
        self, genotype: Genotype, c_pp: int, c_p: int, c: int, reduction: bool,
        reduction_prev: bool,
    ) -> None:  # fmt: skip
        super().__init__()
        edges: tuple[Edge, ...] = genotype.reduce if reduction else genotype.normal
        self.concat = genotype.reduce_concat if reduction else genotype.normal_concat
        self.out_multiplier = len(self.concat)
        self.preprocess0 = preprocess(c_pp, c, reduction_prev, affine=True)
        self.preprocess1 = preprocess(c_p, c, False, affine=True)
        self.inputs = [node for _, node in edges]
        self.ops = nn.ModuleList(
            create_op(op, c, 2 if reduction and node < 2 else 1, affine=True) for op, node in edges
        )

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for first in range(0, len(self.ops), 2):
            pair = (first, first + 1)
            states.append(sum(self.ops[i](states[self.inputs[i]]) for i in pair))  # type: ignore[arg-type]
        return torch.cat([states[i] for i in self.concat], dim=1)


class EvalNetwork(nn.Module):
    """``cells`` cells of ``genotype`` on a small stem (1 or 3 input channels), classified."""

    def __init__(
        self, genotype: Genotype, in_channels: int, num_classes: int, channels: int = 8,
        cells: int = 3,
    ) -> None:  # fmt: skip
        super().__init__()

        def make_cell(
            c_pp: int, c_p: int, c: int, reduction: bool, reduction_prev: bool
        ) -> nn.Module:
            return EvalCell(genotype, c_pp, c_p, c, reduction, reduction_prev)

        self.stem, self.cells, c_out = stem_and_cells(in_channels, channels, cells, make_cell)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = SparseLinear(c_out, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(self.pool(s1).flatten(1))
