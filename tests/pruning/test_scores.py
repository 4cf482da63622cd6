"""Scores against hand-computed values on a two-layer network."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from automl_sparse.models import create_model
from automl_sparse.pruning import (
    get_mask,
    prunable_layers,
    prune,
    pruning_scores,
    scaled_score_init,
    synflow_density,
)


def two_layer(bias: bool = False) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4, bias=bias), nn.ReLU(), nn.Linear(4, 2, bias=bias))


def weighted_sum(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (out * target).sum()


@pytest.fixture
def data() -> list[tuple[torch.Tensor, torch.Tensor]]:
    gen = torch.Generator().manual_seed(4)
    return [(torch.randn(5, 3, generator=gen), torch.randn(5, 2, generator=gen)) for _ in range(2)]


def hand_grads(net: nn.Sequential, x: torch.Tensor, t: torch.Tensor) -> list[torch.Tensor]:
    """dL/dW1, dL/dW2 for L = sum(t * W2 relu(W1 x)), written out."""
    w1, w2 = net[0].weight.detach(), net[2].weight.detach()
    pre = x @ w1.T
    hidden = pre.clamp_min(0)
    back = (t @ w2) * (pre > 0)
    return [back.T @ x, t.T @ hidden]


def test_snip_is_normalised_weight_times_gradient(data: list) -> None:
    net = two_layer()
    g1, g2 = (sum(gs) for gs in zip(*(hand_grads(net, x, t) for x, t in data), strict=True))
    raw = [(net[0].weight.detach() * g1).abs(), (net[2].weight.detach() * g2).abs()]
    total = sum(r.sum() for r in raw)
    scores = pruning_scores(net, "snip", data=data, loss_fn=weighted_sum)
    torch.testing.assert_close(scores["0"], raw[0] / total)
    torch.testing.assert_close(scores["2"], raw[1] / total)
    assert float(sum(s.sum() for s in scores.values())) == pytest.approx(1.0)


def test_taylor_sums_over_batches(data: list) -> None:
    net = two_layer()
    want = [torch.zeros(4, 3), torch.zeros(2, 4)]
    for x, t in data:
        for acc, w, g in zip(want, (net[0].weight, net[2].weight), hand_grads(net, x, t),
                             strict=True):  # fmt: skip
            acc += (w.detach() * g).abs()
    scores = pruning_scores(net, "taylor", data=data, loss_fn=weighted_sum)
    torch.testing.assert_close(scores["0"], want[0])
    torch.testing.assert_close(scores["2"], want[1])


def test_synflow_one_round_matches_hand_computation() -> None:
    net = two_layer()
    a1, a2 = net[0].weight.detach().abs(), net[2].weight.detach().abs()
    scores = pruning_scores(net, "synflow", input_shape=(3,), rounds=1)
    torch.testing.assert_close(scores["0"], a1 * a2.sum(0)[:, None], check_dtype=False)
    torch.testing.assert_close(scores["2"], a2 * a1.sum(1)[None, :], check_dtype=False)


def test_synflow_iterates_and_restores_signs() -> None:
    net = two_layer(bias=True)
    weights = [m.weight.detach().clone() for m in prunable_layers(net).values()]
    scores = pruning_scores(net, "synflow", input_shape=(3,), rounds=3, sparsity_target=0.5,
                            scope="global")  # fmt: skip
    pruned_early = sum(int(torch.isinf(s).sum()) for s in scores.values())
    assert pruned_early == round(20 * (1 - synflow_density(1, 0.5, 3)))
    prune(net, "synflow", 0.5, scope="global", input_shape=(3,), rounds=3)
    for w, layer in zip(weights, prunable_layers(net).values(), strict=True):
        torch.testing.assert_close(layer.weight, w * get_mask(layer))
    assert synflow_density(99, 0.01) == pytest.approx(0.01)


def test_synflow_leaves_norm_statistics_and_signs() -> None:
    torch.manual_seed(0)
    model = create_model("resnet20", in_channels=3, input_size=16)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    scores = pruning_scores(model, "synflow", input_shape=(3, 16, 16), rounds=2,
                            sparsity_target=0.9)  # fmt: skip
    assert all(torch.isfinite(s[s > -torch.inf]).all() for s in scores.values())
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_grasp_is_hessian_gradient_product_times_weight() -> None:
    net = two_layer()
    gen = torch.Generator().manual_seed(2)
    x, y = torch.randn(6, 3, generator=gen), torch.randint(2, (6,), generator=gen)
    w1, w2 = net[0].weight.detach(), net[2].weight.detach()

    def loss(flat: torch.Tensor) -> torch.Tensor:
        a, b = flat[:12].view(4, 3), flat[12:].view(2, 4)
        return F.cross_entropy(F.relu(x @ a.T) @ b.T / 200.0, y)

    flat = torch.cat([w1.flatten(), w2.flatten()])
    g = torch.autograd.functional.jacobian(loss, flat)
    hg = torch.autograd.functional.hessian(loss, flat) @ g
    want = hg * flat
    scores = pruning_scores(net, "grasp", data=[(x, y)])
    torch.testing.assert_close(scores["0"].flatten(), want[:12], rtol=1e-4, atol=1e-9)
    torch.testing.assert_close(scores["2"].flatten(), want[12:], rtol=1e-4, atol=1e-9)


def test_data_scores_restore_norm_statistics() -> None:
    torch.manual_seed(0)
    model = create_model("resnet20", in_channels=3, input_size=16)
    before = {k: v.clone() for k, v in model.named_buffers()}
    data = [(torch.randn(4, 3, 16, 16), torch.randint(10, (4,)))]
    for method in ("taylor", "snip", "grasp"):
        pruning_scores(model, method, data=data)
        assert all(p.grad is None for p in model.parameters())
    for name, value in model.named_buffers():
        assert torch.equal(value, before[name]), name


def test_random_scores_are_seeded() -> None:
    net = two_layer()
    first = pruning_scores(net, "random", seed=5)
    assert all(torch.equal(first[k], v) for k, v in pruning_scores(net, "random", seed=5).items())


def test_scaled_score_init() -> None:
    w = torch.tensor([[1.0, -2.0], [0.5, 4.0]])
    torch.testing.assert_close(scaled_score_init(w), (6 / 2) ** 0.5 * w / 4.0)
