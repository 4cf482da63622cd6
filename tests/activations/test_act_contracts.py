"""Issue 3 "Must show": every registered activation (shape, gradients, gradcheck, state dict,
float32 and bfloat16) and the numerical contracts of the adaptive inits."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from automl_sparse.activations import (
    AHAF,
    LEAF,
    SLOPE_RANGE,
    FNeuron,
    RotatedReLU,
    create_activation,
    list_activations,
)

SHAPE = (2, 3, 2, 2)


def _built(name: str, dtype: torch.dtype = torch.float32, seed: int = 0) -> nn.Module:
    """The registered module with defaults, its lazy parameters shaped by one input."""
    torch.manual_seed(seed)
    module = create_activation(name)
    module(torch.randn(SHAPE))
    return module.to(dtype)


def _input(dtype: torch.dtype, seed: int = 1) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(SHAPE, generator=gen) * 3).to(dtype).requires_grad_()


@pytest.mark.parametrize("name", list_activations())
def test_gradcheck_float64_inputs_and_parameters(name: str) -> None:
    module = _built(name, torch.float64)
    names = [n for n, _ in module.named_parameters()]
    params = [p.detach().clone().requires_grad_() for p in module.parameters()]

    def fn(x: torch.Tensor, *ps: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(module, dict(zip(names, ps, strict=True)), (x,))

    assert torch.autograd.gradcheck(fn, (_input(torch.float64), *params))


@pytest.mark.parametrize("name", list_activations())
def test_gradgradcheck_float64(name: str) -> None:
    """Second derivatives (GraSP and GradInit differentiate through backward)."""
    module = _built(name, torch.float64)
    names = [n for n, _ in module.named_parameters()]
    params = [p.detach().clone().requires_grad_() for p in module.parameters()]

    def fn(x: torch.Tensor, *ps: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(module, dict(zip(names, ps, strict=True)), (x,))

    assert torch.autograd.gradgradcheck(fn, (_input(torch.float64), *params))


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["fp32", "bf16"])
@pytest.mark.parametrize("name", list_activations())
def test_forward_backward_in_float32_and_bfloat16(name: str, dtype: torch.dtype) -> None:
    module = _built(name, dtype)
    x = _input(dtype)
    y = module(x)
    assert y.shape == x.shape and y.dtype == dtype and torch.isfinite(y).all()
    y.square().sum().backward()
    assert x.grad is not None and x.grad.dtype == dtype and torch.isfinite(x.grad).all()
    assert x.grad.abs().sum() > 0
    for p in module.parameters():
        if p.requires_grad:
            assert p.grad is not None and p.grad.dtype == dtype
            assert torch.isfinite(p.grad).all()  # may be 0: gamma = 65536 saturates


@pytest.mark.parametrize("name", list_activations())
def test_state_dict_round_trip(name: str) -> None:
    trained = _built(name, seed=2)
    with torch.no_grad():
        for p in trained.parameters():
            p.add_(0.25)
    fresh = create_activation(name)  # lazy modules take their shape from the state dict
    fresh.load_state_dict(trained.state_dict())
    x = _input(torch.float32).detach()
    torch.testing.assert_close(fresh(x), trained(x), rtol=0, atol=0)
    assert fresh.state_dict().keys() == trained.state_dict().keys()


# Numerical contracts (../shared/METHODS.md sections 3 and 5).

WIDE = torch.cat([torch.linspace(-10, 10, 400_001), torch.linspace(-1e-3, 1e-3, 200_001)])
"""[-10, 10] with a dense patch around 0, where ``u * sigmoid(65536 u)`` is farthest from ReLU
(about 4.2e-6 at |u| = 2e-5)."""


def _max_err(module: nn.Module, ref: Callable, dtype: torch.dtype) -> float:
    x = WIDE.to(dtype)
    with torch.no_grad():
        return float((module.to(dtype)(x) - ref(x)).abs().max())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["fp32", "fp64"])
@pytest.mark.parametrize("cls", [LEAF, AHAF])
def test_relu_init_within_1e_5_of_relu(cls: type, dtype: torch.dtype) -> None:
    err = _max_err(cls("relu"), torch.relu, dtype)
    assert 1e-6 < err < 1e-5  # the finite sigmoid slope leaves about 4.2e-6, in fp32 too


SMOOTH = [
    (LEAF, "silu", nn.functional.silu),
    (LEAF, "tanh", torch.tanh),
    (LEAF, "sigmoid", torch.sigmoid),
    (AHAF, "silu", nn.functional.silu),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["fp32", "fp64"])
@pytest.mark.parametrize(("cls", "init_as", "ref"), SMOOTH)
def test_smooth_inits_within_1e_6(
    cls: type, init_as: str, ref: Callable, dtype: torch.dtype
) -> None:
    """Exact in float64 (about 2e-15); in float32 silu differs by 1 ulp of 10 (9.5e-7)."""
    assert _max_err(cls(init_as), ref, dtype) < 1e-6


def test_fneuron_tanh_init_within_0_02_of_tanh_on_14() -> None:
    x = torch.linspace(-14, 14, 280_001, dtype=torch.float64)
    module = FNeuron("tanh").double()
    with torch.no_grad():
        err = (module(x) - torch.tanh(x)).abs()
    assert float(err.max()) < 0.02
    outside = x.abs() >= 4
    # flat beyond the end centres: the value there is tanh(+-4), 6.7e-4 from tanh(+-14)
    assert float(err[outside].max()) < 1e-3


def test_rotated_relu_initial_slopes_over_1000_channels() -> None:
    slope = RotatedReLU(num_channels=1000).slope.detach()
    low, high = SLOPE_RANGE
    assert round(low, 3) == 0.700 and round(high, 3) == 1.428
    assert ((slope.abs() >= low) & (slope.abs() <= high)).all()
    assert (slope > 0).any() and (slope < 0).any()
