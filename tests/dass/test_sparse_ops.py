"""HYDRA layers in every DASS convolution: exact top-k masks, scores reached straight through."""

from __future__ import annotations

import pytest
import torch

from automl_sparse.dass import OPS, PRIMITIVES, create_op, set_target_sparsity
from automl_sparse.pruning import SparseConv2d


@pytest.mark.parametrize("sparsity", [0.0, 0.25, 0.5, 0.9, 0.99])
def test_top_k_mask_keeps_exactly_the_largest_scores(sparsity: float) -> None:
    torch.manual_seed(0)
    conv = SparseConv2d(4, 8, 3, sparsity=sparsity)
    with torch.no_grad():
        distinct = torch.randperm(conv.scores.numel()).float() + 1.0  # no ties in |S|
        signs = torch.randint(2, distinct.shape).float() * 2 - 1
        conv.scores.copy_((distinct * signs).view_as(conv.scores))
    mask = conv.score_mask()
    n = conv.scores.numel()
    kept = n - round(sparsity * n)
    assert int(mask.sum()) == kept
    largest = conv.scores.abs().flatten().topk(kept).indices
    assert torch.equal(mask.flatten().nonzero().flatten().sort().values, largest.sort().values)


def test_gradient_reaches_scores_straight_through() -> None:
    torch.manual_seed(0)
    op = create_op("sep_conv_3x3", 4, 1)
    set_target_sparsity(op, 0.75)
    op(torch.randn(2, 4, 8, 8)).square().sum().backward()
    layers = [m for m in op.modules() if isinstance(m, SparseConv2d)]
    assert len(layers) == 4
    for layer in layers:
        assert layer.scores.grad is not None and layer.scores.grad.abs().sum() > 0
        mask = layer.score_mask()
        # straight through: dL/dS = dL/d(W*M) * W, also where the mask is 0
        assert layer.scores.grad[mask == 0].abs().sum() > 0


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("name", PRIMITIVES)
def test_every_primitive_keeps_channels_and_strides(name: str, stride: int) -> None:
    out = create_op(name, 4, stride)(torch.randn(2, 4, 8, 8))
    assert out.shape == (2, 4, 8 // stride, 8 // stride)


def test_every_convolution_is_sparse() -> None:
    for name in OPS:
        for module in create_op(name, 4, 2).modules():
            assert not isinstance(module, torch.nn.Conv2d) or isinstance(module, SparseConv2d)
