"""GradInit: one learned scale per parameter tensor, the mask preserved."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.activations import set_activations
from automl_sparse.pruning import get_mask, gradinit, prunable_layers, prune


def grad_norm(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> float:
    model.zero_grad()
    F.cross_entropy(model(batch[0]), batch[1]).backward()
    return float(torch.sqrt(sum((p.grad**2).sum() for p in model.parameters())))


def test_gradinit_scales_each_tensor_and_keeps_the_mask(lenet: nn.Module, batches: list) -> None:
    x = batches[0][0]
    set_activations(lenet, "rotated_relu", example_input=x)
    prune(lenet, "magnitude", 0.9)
    before = {n: p.detach().clone() for n, p in lenet.named_parameters()}
    buffers = {n: b.clone() for n, b in lenet.named_buffers()}
    scales = gradinit(lenet, batches, iterations=30, gamma=0.5)
    assert set(scales) == {n for n in before if ".fn." not in n}  # activations untouched
    assert min(scales.values()) >= 0.01
    assert any(abs(s - 1.0) > 1e-3 for s in scales.values())
    params = dict(lenet.named_parameters())
    for name, value in before.items():
        torch.testing.assert_close(params[name], value * scales.get(name, 1.0))
    for layer in prunable_layers(lenet).values():
        assert (layer.weight[get_mask(layer) == 0] == 0).all()
    for name, b in lenet.named_buffers():
        assert torch.equal(b, buffers[name])


def test_gradinit_brings_the_gradient_norm_down(lenet: nn.Module, batches: list) -> None:
    with torch.no_grad():
        for p in lenet.parameters():
            p.mul_(3.0)  # a badly scaled init
    norm = grad_norm(lenet, batches[0])
    assert norm > 1.0
    gradinit(lenet, batches, iterations=60, gamma=1.0)
    assert grad_norm(lenet, batches[0]) < norm


def test_gradinit_needs_batches(lenet: nn.Module) -> None:
    with pytest.raises(UserError, match="batch"):
        gradinit(lenet, [])
