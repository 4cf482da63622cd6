"""The hand-derived backward of LEAF, AHAF, F-Neuron and rotated activations vs finite
differences (float64), for every sharing mode, and vs plain autograd formulas."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from automl_sparse.activations import (
    AHAF,
    LEAF,
    FNeuron,
    RotatedGELU,
    RotatedReLU,
    RotatedSiLU,
    SafsActivation,
)
from automl_sparse.activations._adaptive import AdaptiveActivation

SHAPE = (3, 2, 2, 3)
SETS = {"layer": {}, "channel": {"num_channels": 2}, "element": {"shape": SHAPE[1:]}}


def _build(cls: type, sharing: str) -> AdaptiveActivation:
    kwargs = {"sharing": sharing, **SETS[sharing], "generator": 0}
    if cls in (LEAF, FNeuron):
        kwargs["init_as"] = "random"
    return cls(**kwargs).double()


def _randomise(module: nn.Module) -> None:
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=gen, dtype=p.dtype))


def _check(module: nn.Module, x: torch.Tensor) -> None:
    names = [n for n, _ in module.named_parameters()]
    params = [p.detach().clone().requires_grad_() for p in module.parameters()]

    def fn(x: torch.Tensor, *ps: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(module, dict(zip(names, ps, strict=True)), (x,))

    assert torch.autograd.gradcheck(fn, (x.requires_grad_(), *params))


@pytest.mark.parametrize("sharing", ["layer", "channel", "element"])
@pytest.mark.parametrize("cls", [LEAF, AHAF, FNeuron, RotatedReLU, RotatedGELU, RotatedSiLU])
def test_gradcheck_every_sharing(cls: type, sharing: str) -> None:
    module = _build(cls, sharing)
    if cls is AHAF:
        _randomise(module)
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(SHAPE, generator=gen, dtype=torch.float64) * 3
    _check(module, x)


def test_leaf_and_ahaf_match_their_formulas_with_autograd() -> None:
    torch.manual_seed(0)
    x = torch.randn(4, 3, 5, requires_grad=True)
    leaf = LEAF("random", sharing="channel", num_channels=3)
    y = leaf(x)
    p1, p2, p3, p4 = (leaf.param(n, x) for n in leaf.param_names)
    ref = (p1 * x + p2) * torch.sigmoid(p3 * x) + p4
    g = torch.randn_like(y)
    got = torch.autograd.grad(y, [x, *leaf.parameters()], g)
    want = torch.autograd.grad(ref, [x, *leaf.parameters()], g)
    torch.testing.assert_close(y, ref)
    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b)


def test_fneuron_matches_the_triangle_sum() -> None:
    """y = sum_j w_j mu_j(x) with a left ramp, triangles and a right ramp (the paper's form)."""
    module = FNeuron("random", generator=3).double()
    x = torch.linspace(-6, 6, 1001, dtype=torch.float64)
    c, r, w = module.centres(), module.radius, module.weight.detach()
    mu = (1 - (x[:, None] - c[None, :]).abs() / r).clamp(min=0)
    mu[:, 0] = torch.where(x <= c[0], 1.0, mu[:, 0])
    mu[:, -1] = torch.where(x >= c[-1], 1.0, mu[:, -1])
    torch.testing.assert_close(module(x), mu @ w)


def test_rotated_relu_saves_only_its_output() -> None:
    module = RotatedReLU(num_channels=3, generator=0)
    x = torch.randn(2, 3, 4, requires_grad=True)
    saved: list[torch.Tensor] = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
        y = module(x)
    big = [t for t in saved if t.numel() == x.numel()]
    assert len(big) == 1 and big[0].data_ptr() == y.data_ptr()


def test_rotated_relu_zero_slope_gets_no_slope_gradient() -> None:
    """Documented limit of saving the output: a slope of exactly 0 is a dead channel."""
    module = RotatedReLU(num_channels=2, generator=0)
    with torch.no_grad():
        module.slope[0] = 0.0
    module(torch.rand(4, 2) + 0.1).sum().backward()
    assert module.slope.grad[0] == 0 and module.slope.grad[1] > 0


@pytest.mark.parametrize("op", ["swish", "tanhsoft1", "acon_c", "srs"])
def test_fused_safs_matches_the_operator_module_with_autograd(op: str) -> None:
    """The fused ``alpha * op(beta*x)`` vs autograd through the plain operator module, with
    every parameter moved off its init; SRS inputs reach its clamped far-left region."""
    module = SafsActivation(op, train_scale=True).double()
    gen = torch.Generator().manual_seed(4)
    with torch.no_grad():
        for p in module.parameters():
            p.mul_(1 + 0.3 * torch.rand((), generator=gen, dtype=p.dtype))
    x = torch.cat([torch.randn(50, generator=gen, dtype=torch.float64) * 4, FAR_LEFT])
    x.requires_grad_()
    y = module(x)
    ref = module.alpha * module.op(module.beta * x)
    g = torch.randn(y.shape, generator=gen, dtype=y.dtype)
    params = list(module.parameters())
    got = torch.autograd.grad(y, [x, *params], g)
    want = torch.autograd.grad(ref, [x, *params], g)
    torch.testing.assert_close(y, ref)
    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b)


FAR_LEFT = torch.tensor([-1e4, -300.0, -250.0], dtype=torch.float64)


@pytest.mark.parametrize("sharing", ["layer", "channel", "element"])
def test_fneuron_gradcheck_on_nc_inputs(sharing: str) -> None:
    """(N, C) inputs: per-channel tables have one element per group (the flat-table path)."""
    sets = {"layer": {}, "channel": {"num_channels": 4}, "element": {"shape": (4,)}}
    module = FNeuron("random", sharing=sharing, generator=5, **sets[sharing]).double()
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(6), dtype=torch.float64) * 3
    _check(module, x)
