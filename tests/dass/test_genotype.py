"""Genotypes: a known answer from hand-made alpha, JSON round trip, the DARTS_V2 network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from automl_sparse._errors import UserError
from automl_sparse.dass import (
    DARTS_V2,
    PRIMITIVES,
    EvalNetwork,
    Genotype,
    derive_genotype,
    genotype_of,
    n_edges,
    plot_genotype,
)
from automl_sparse.pruning import SparseConv2d, SparseLinear, from_scored, sparsity

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _alpha(strong: dict[int, tuple[str, float]]) -> torch.Tensor:
    """Edges x primitives, ``none`` largest everywhere (it must be ignored), plus given edges."""
    alpha = torch.zeros(n_edges(), len(PRIMITIVES))
    alpha[:, PRIMITIVES.index("none")] = 10.0
    for edge, (op, value) in strong.items():
        alpha[edge, PRIMITIVES.index(op)] = value
    return alpha


def test_top_two_edges_by_strongest_non_none_op() -> None:
    # edges: node0 <- {0, 1}; node1 <- {2, 3, 4}; node2 <- {5..8}; node3 <- {9..13}
    normal = _alpha(
        {
            0: ("sep_conv_3x3", 3.0), 1: ("max_pool_3x3", 2.0),
            2: ("skip_connect", 1.0), 3: ("dil_conv_5x5", 4.0), 4: ("avg_pool_3x3", 2.0),
            5: ("sep_conv_5x5", 1.0), 8: ("dil_conv_3x3", 5.0), 7: ("sep_conv_3x3", 0.5),
            13: ("skip_connect", 6.0), 9: ("max_pool_3x3", 3.0), 11: ("sep_conv_3x3", 2.9),
        }
    )  # fmt: skip
    reduce = _alpha({i: ("max_pool_3x3", 1.0 + i) for i in range(n_edges())})
    genotype = derive_genotype(normal, reduce)
    assert genotype.normal == (
        ("sep_conv_3x3", 0), ("max_pool_3x3", 1),
        ("dil_conv_5x5", 1), ("avg_pool_3x3", 2),
        ("dil_conv_3x3", 3), ("sep_conv_5x5", 0),
        ("skip_connect", 4), ("max_pool_3x3", 0),
    )  # fmt: skip
    assert genotype.reduce == (
        ("max_pool_3x3", 1), ("max_pool_3x3", 0),
        ("max_pool_3x3", 2), ("max_pool_3x3", 1),
        ("max_pool_3x3", 3), ("max_pool_3x3", 2),
        ("max_pool_3x3", 4), ("max_pool_3x3", 3),
    )  # fmt: skip
    assert genotype.normal_concat == genotype.reduce_concat == (2, 3, 4, 5)


def test_json_round_trip() -> None:
    text = DARTS_V2.to_json()
    assert isinstance(json.loads(text)["normal"][0], list)
    assert Genotype.from_json(text) == DARTS_V2
    assert genotype_of(json.loads(text)) == DARTS_V2 == genotype_of(DARTS_V2)


def test_bad_genotypes_are_refused() -> None:
    raw = DARTS_V2.to_dict()
    with pytest.raises(UserError, match="conv_9x9"):
        Genotype.from_dict({**raw, "normal": [["conv_9x9", 0]] * 8})
    with pytest.raises(UserError, match="not a genotype"):
        Genotype.from_dict({"normal": []})
    with pytest.raises(UserError, match="14 x 8"):
        derive_genotype(torch.zeros(3, 8), torch.zeros(14, 8))


@pytest.mark.parametrize("in_channels", [1, 3])
def test_darts_v2_network_runs_sparse(in_channels: int) -> None:
    torch.manual_seed(0)
    model = EvalNetwork(DARTS_V2, in_channels, 10, channels=4, cells=3)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(isinstance(m, SparseConv2d) for m in convs)
    assert isinstance(model.classifier, SparseLinear)
    assert model(torch.randn(2, in_channels, 16, 16)).shape == (2, 10)
    for layer in model.modules():
        if isinstance(layer, SparseConv2d | SparseLinear):
            layer.sparsity = 0.8
    from_scored(model)
    assert sparsity(model) == pytest.approx(0.8, abs=0.01)


def test_plot_writes_a_png(tmp_path: Path) -> None:
    path = plot_genotype(DARTS_V2, tmp_path / "cells.png")
    assert path.read_bytes()[:8] == PNG_SIGNATURE
