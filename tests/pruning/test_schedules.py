"""GMP follows its cubic schedule at every step; IMP prunes 10% of what remains and rewinds."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.models import create_model
from automl_sparse.pruning import (
    GradualMagnitudePruning,
    get_mask,
    gmp_sparsity,
    imp_sparsity,
    keep_masks,
    layer_sparsity,
    lottery_ticket,
    prunable_layers,
)


def test_gmp_formula() -> None:
    assert gmp_sparsity(10, 0.9, 10, 110) == 0.0
    assert gmp_sparsity(60, 0.9, 10, 110) == pytest.approx(0.9 + (0 - 0.9) * 0.5**3)
    assert gmp_sparsity(110, 0.9, 10, 110) == pytest.approx(0.9)
    assert gmp_sparsity(500, 0.9, 10, 110, initial=0.2) == pytest.approx(0.9)
    assert gmp_sparsity(0, 0.9, 10, 110, initial=0.2) == pytest.approx(0.2)


def test_gmp_hits_its_schedule_at_every_step(lenet: nn.Module) -> None:
    gmp = GradualMagnitudePruning(lenet, 0.9, start_step=5, end_step=45, every=4,
                                  initial_sparsity=0.1)  # fmt: skip
    optimizer = torch.optim.SGD(lenet.parameters(), lr=0.05, momentum=0.9)
    keep_masks(optimizer, lenet)
    gen = torch.Generator().manual_seed(0)
    pruned_at = []
    for step in range(60):
        x, y = torch.randn(8, 1, 16, 16, generator=gen), torch.randint(10, (8,), generator=gen)
        optimizer.zero_grad()
        nn.functional.cross_entropy(lenet(x), y).backward()
        optimizer.step()
        if gmp.step(step) is not None:
            pruned_at.append(step)
        expected = gmp.sparsity_at(step)
        last = max([s for s in pruned_at if s <= step], default=None)
        want = 0.0 if last is None else gmp_sparsity(last, 0.9, 5, 45, 0.1)
        assert expected == pytest.approx(want)
        for name, value in layer_sparsity(lenet).items():
            n = prunable_layers(lenet)[name].weight.numel()
            assert abs(value - expected) * n <= 1, (step, name)
    assert pruned_at == [5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45]


def test_gmp_rejects_a_bad_window(lenet: nn.Module) -> None:
    with pytest.raises(UserError, match="start_step=10"):
        GradualMagnitudePruning(lenet, 0.9, start_step=10, end_step=5)


def test_lottery_ticket_rounds_rewind_and_rate() -> None:
    torch.manual_seed(0)
    model = create_model("resnet20", in_channels=3, input_size=8)
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(8, 3, 8, 8, generator=gen), torch.randint(10, (8,), generator=gen)
    negatives_trained: list[bool] = []

    def train(net: nn.Module) -> None:
        before = net.layer1[0].conv1.weight.detach().clone()
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        keep_masks(optimizer, net)
        for _ in range(3):
            optimizer.zero_grad()
            nn.functional.cross_entropy(net(x), y).backward()
            optimizer.step()
        moved = net.layer1[0].conv1.weight.detach() != before
        negatives_trained.append(bool(moved[before < 0].float().mean() > 0.5))

    reports = lottery_ticket(model, train, rounds=3)
    assert [r.target for r in reports] == pytest.approx([0.1, 0.19, 0.271])
    assert imp_sparsity(2) == pytest.approx(1 - 0.9**3)
    for name, layer in prunable_layers(model).items():
        mask = get_mask(layer)
        assert abs(float((mask == 0).float().mean()) - 0.271) * mask.numel() <= 3
        torch.testing.assert_close(layer.weight, initial[f"{name}.weight"] * mask)
    for name, module in model.named_modules():
        if isinstance(module, nn.BatchNorm2d):
            assert get_mask(module) is None
            torch.testing.assert_close(module.running_mean, initial[f"{name}.running_mean"])
    assert all(negatives_trained)  # negative weights are trained, not frozen


def test_gmp_with_no_window_prunes_once_to_the_final(lenet: nn.Module) -> None:
    gmp = GradualMagnitudePruning(lenet, 0.8, start_step=3, end_step=3)
    assert gmp.step(2) is None
    report = gmp.step(3)
    assert report is not None and report.achieved == pytest.approx(0.8, abs=1e-3)
