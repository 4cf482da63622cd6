"""Genotypes: the discrete cells a DARTS search ends with, and how to read them off alpha.

Liu et al., DARTS, ICLR 2019, https://arxiv.org/abs/1806.09055, section 2.4: each
intermediate node keeps its two strongest incoming edges, an edge's strength being the weight of
its strongest operation other than ``none``, and that operation. DASS (METHODS section 4)
derives its sparse cells the same way.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import torch

from automl_sparse._errors import UserError
from automl_sparse.dass._ops import NONE, PRIMITIVES

STEPS = 4
"""Intermediate nodes of a cell."""
EDGES_KEPT = 2
"""Incoming edges each intermediate node keeps in the derived cell."""

Edge = tuple[str, int]
"""(operation, input node): node 0 and 1 are the cell's inputs, 2.. its intermediate nodes."""


def n_edges(steps: int = STEPS) -> int:
    """Edges of a search cell: node ``i`` (from 0) has ``i + 2`` inputs (14 for 4 nodes)."""
    return sum(i + 2 for i in range(steps))


@dataclass(frozen=True)
class Genotype:
    """A normal and a reduction cell: two ``(op, input)`` edges per node, and the nodes
    concatenated into the cell's output. JSON round trip: :meth:`to_json`, :meth:`from_json`."""

    normal: tuple[Edge, ...]
    normal_concat: tuple[int, ...]
    reduce: tuple[Edge, ...]
    reduce_concat: tuple[int, ...]

    def __post_init__(self) -> None:
        for field in ("normal", "reduce"):
            for op, node in getattr(self, field):
                if op not in PRIMITIVES or op == NONE:
                    raise UserError(f"genotype {field}: unknown operation {op!r}")
                if not isinstance(node, int) or node < 0:
                    raise UserError(f"genotype {field}: bad input node {node!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain lists, ready for ``json.dumps`` (and for a trial's user attributes)."""
        return {
            k: [list(e) if isinstance(e, tuple) else e for e in v] for k, v in asdict(self).items()
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Genotype:
        """Parse what :meth:`to_dict` wrote (lists for tuples)."""
        try:
            return cls(
                normal=tuple((str(op), int(node)) for op, node in raw["normal"]),
                normal_concat=tuple(int(n) for n in raw["normal_concat"]),
                reduce=tuple((str(op), int(node)) for op, node in raw["reduce"]),
                reduce_concat=tuple(int(n) for n in raw["reduce_concat"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise UserError(f"not a genotype: {raw!r} ({error})") from None

    @classmethod
    def from_json(cls, text: str) -> Genotype:
        return cls.from_dict(json.loads(text))


DARTS_V2 = Genotype(
    normal=(
        ("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
        ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2),
    ),
    normal_concat=(2, 3, 4, 5),
    reduce=(
        ("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
        ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1),
    ),
    reduce_concat=(2, 3, 4, 5),
)  # fmt: skip
"""DARTS (second order) CIFAR-10 cells, ``genotypes.py`` of the DARTS code. DASS's own derived
genotypes are not published in a form we could find, so this is the stand-in (a DARTS-style
genotype as DASS searches and evaluates them)."""


def _cell_edges(weights: torch.Tensor, steps: int) -> tuple[Edge, ...]:
    """Top-2 incoming edges per node of one cell's softmaxed weights (edges x primitives)."""
    chosen: list[Edge] = []
    start = 0
    for node in range(steps):
        rows = weights[start : start + node + 2]
        best_op = {j: _strongest_op(row) for j, row in enumerate(rows)}
        strength = {j: float(rows[j, best_op[j]]) for j in best_op}
        kept = sorted(strength, key=lambda j: -strength[j])[:EDGES_KEPT]
        chosen.extend((PRIMITIVES[best_op[j]], j) for j in kept)  # strongest first, as DARTS
        start += node + 2
    return tuple(chosen)


def _strongest_op(row: torch.Tensor) -> int:
    """The index of the strongest operation of an edge, ``none`` excluded."""
    candidates = [k for k, name in enumerate(PRIMITIVES) if name != NONE]
    return max(candidates, key=lambda k: float(row[k]))


def derive_genotype(
    alpha_normal: torch.Tensor, alpha_reduce: torch.Tensor, steps: int = STEPS
) -> Genotype:
    """The genotype that the architecture parameters (edges x primitives, unnormalised) select."""
    for name, alpha in (("alpha_normal", alpha_normal), ("alpha_reduce", alpha_reduce)):
        if tuple(alpha.shape) != (n_edges(steps), len(PRIMITIVES)):
            raise UserError(
                f"{name} must be {n_edges(steps)} x {len(PRIMITIVES)}, but got {tuple(alpha.shape)}"
            )
    concat = tuple(range(2, steps + 2))
    return Genotype(
        normal=_cell_edges(alpha_normal.detach().softmax(dim=-1), steps),
        normal_concat=concat,
        reduce=_cell_edges(alpha_reduce.detach().softmax(dim=-1), steps),
        reduce_concat=concat,
    )


def genotype_of(value: Genotype | str | dict[str, Any]) -> Genotype:
    """A genotype from itself, its JSON text or its dict."""
    if isinstance(value, Genotype):
        return value
    if isinstance(value, str):
        return Genotype.from_json(value)
    if isinstance(value, dict):
        return Genotype.from_dict(value)
    raise UserError(f"not a genotype: {value!r}")
