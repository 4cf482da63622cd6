"""The three search phases: alpha moves by its own optimiser only; scores only when pruning."""

from __future__ import annotations

import pytest
import torch

from automl_sparse._errors import UserError
from automl_sparse.dass import Architect, SearchSettings, Supernet, search
from automl_sparse.dass._search import _Phase
from automl_sparse.data import DataSplits
from automl_sparse.pruning import SparseConv2d


def _net() -> Supernet:
    torch.manual_seed(0)
    return Supernet(1, 3, channels=2, cells=3)


def _settings(**overrides: object) -> SearchSettings:
    base = {"pretrain_epochs": 1, "prune_epochs": 1, "finetune_epochs": 1, "batch_size": 16}
    return SearchSettings(**{**base, "arch_lr": 3e-2, **overrides})  # type: ignore[arg-type]


@pytest.mark.parametrize("order", [1, 2])
def test_search_moves_alpha_and_reports_every_epoch(tiny_data: DataSplits, order: int) -> None:
    net = _net()
    before = [a.detach().clone() for a in net.arch_parameters()]
    reports = []

    class Collect:
        def report(self, result: object) -> None:
            reports.append(result)

    found = search(net, tiny_data, _settings(arch_order=order), reporter=Collect())
    assert [r.epoch for r in reports] == [1, 2, 3]
    assert all(not torch.equal(b, a) for b, a in zip(before, net.arch_parameters(), strict=True))
    assert found.genotype == net.genotype()
    conv = next(m for m in net.modules() if isinstance(m, SparseConv2d))
    assert conv.sparsity == 0.9 and int(conv.score_mask().sum()) < conv.weight.numel()


def test_weight_optimisers_never_hold_alpha(tiny_data: DataSplits) -> None:
    net = _net()
    alpha = {id(a) for a in net.arch_parameters()}
    for phase in ("weights", "scores"):
        runner = _Phase(net, phase, _settings(), 1, None)
        held = {id(p) for group in runner.optimizer.param_groups for p in group["params"]}
        assert held and not held & alpha
    architect = Architect(net, 1e-3)
    held = {id(p) for group in architect.optimizer.param_groups for p in group["params"]}
    assert held == alpha


def test_zero_arch_lr_leaves_alpha_unchanged_while_weights_train(tiny_data: DataSplits) -> None:
    net = _net()
    before = [a.detach().clone() for a in net.arch_parameters()]
    weight = next(m for m in net.modules() if isinstance(m, SparseConv2d)).weight
    weight_before = weight.detach().clone()
    search(net, tiny_data, _settings(arch_lr=0.0, prune_epochs=0))
    assert all(torch.equal(b, a) for b, a in zip(before, net.arch_parameters(), strict=True))
    assert not torch.equal(weight_before, weight.detach())


def test_pruning_phase_trains_scores_only(tiny_data: DataSplits) -> None:
    net = _net()
    settings = _settings(pretrain_epochs=0, finetune_epochs=0)
    alpha = [a.detach().clone() for a in net.arch_parameters()]
    convs = [m for m in net.modules() if isinstance(m, SparseConv2d)]
    weights = [m.weight.detach().clone() for m in convs]
    search(net, tiny_data, settings)
    assert all(torch.equal(w, m.weight) for w, m in zip(weights, convs, strict=True))
    assert all(torch.equal(b, a) for b, a in zip(alpha, net.arch_parameters(), strict=True))


def test_unknown_arch_order_is_refused() -> None:
    with pytest.raises(UserError, match="arch_order"):
        Architect(_net(), 1e-3, order=3)
