"""HYDRA scored layers: magnitude start, straight-through scores, phases, explicit masks back."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from automl_sparse.models import create_model
from automl_sparse.pruning import (
    SparseConv2d,
    SparseLinear,
    from_scored,
    get_mask,
    layerwise_masks,
    prunable_layers,
    set_scored_phase,
    sparsity,
    to_scored,
)


@pytest.fixture
def scored() -> nn.Module:
    torch.manual_seed(0)
    model = create_model("lenet5", input_size=16)
    return model


def test_initial_mask_is_layerwise_magnitude(scored: nn.Module) -> None:
    want = layerwise_masks(
        {n: m.weight.detach().abs() for n, m in prunable_layers(scored).items()}, 0.8
    )
    x = torch.randn(2, 1, 16, 16)
    dense_out = scored(x)
    to_scored(scored, 0.8)
    assert isinstance(scored.features.conv1, SparseConv2d)
    assert isinstance(scored.classifier.fc1, SparseLinear)
    for name, layer in prunable_layers(scored).items():
        torch.testing.assert_close(get_mask(layer), want[name])
    assert sparsity(scored) == pytest.approx(0.8, abs=1e-3)
    assert not torch.allclose(scored(x), dense_out)


def test_scores_train_with_weights_frozen_then_weights(scored: nn.Module) -> None:
    to_scored(scored, 0.5)
    trainable = set_scored_phase(scored, "scores")
    assert all(p is m.scores for p, m in zip(trainable, _scored(scored), strict=True))
    weights = {n: m.weight.detach().clone() for n, m in prunable_layers(scored).items()}
    optimizer = torch.optim.SGD(trainable, lr=1.0)
    x, y = torch.randn(8, 1, 16, 16), torch.randint(10, (8,))
    first = {n: get_mask(m).clone() for n, m in prunable_layers(scored).items()}
    for _ in range(5):
        optimizer.zero_grad()
        nn.functional.cross_entropy(scored(x), y).backward()
        optimizer.step()
    layers = prunable_layers(scored)
    assert all(m.scores.grad is not None for m in layers.values())  # straight-through
    assert all(torch.equal(m.weight, weights[n]) for n, m in layers.items())
    assert any(not torch.equal(get_mask(m), first[n]) for n, m in layers.items())
    assert sparsity(scored) == pytest.approx(0.5, abs=1e-3)
    trainable = set_scored_phase(scored, "weights")
    assert not any(p.requires_grad for m in layers.values() for p in [m.scores])
    assert len(trainable) == sum(1 for _ in scored.parameters()) - len(layers)


def test_back_to_explicit_masks_keeps_the_function(scored: nn.Module) -> None:
    to_scored(scored, 0.7)
    with torch.no_grad():
        for m in _scored(scored):
            m.scores.add_(torch.randn_like(m.scores) * 0.1)
    x = torch.randn(2, 1, 16, 16)
    want = scored(x)
    masks = {n: get_mask(m).clone() for n, m in prunable_layers(scored).items()}
    from_scored(scored)
    assert not _scored(scored)
    torch.testing.assert_close(scored(x), want)
    for name, layer in prunable_layers(scored).items():
        assert type(layer) in (nn.Conv2d, nn.Linear)
        torch.testing.assert_close(layer.weight_mask, masks[name])
    assert "features.conv1.scores" not in scored.state_dict()


def _scored(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, SparseConv2d | SparseLinear)]
