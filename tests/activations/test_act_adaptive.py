"""LEAF, AHAF, F-Neuron and rotated activations: inits, sharing, lazy shapes, errors."""

from __future__ import annotations

import pickle

import pytest
import torch
from torch import nn
from torch.nn.parameter import is_lazy

from automl_sparse._errors import UserError
from automl_sparse.activations import (
    AHAF,
    LEAF,
    SLOPE_RANGE,
    FNeuron,
    RotatedGELU,
    RotatedReLU,
    RotatedSiLU,
    create_activation,
    prune_rotated_slopes,
)

GRID = torch.linspace(-10, 10, 20001)


def _max_err(module: nn.Module, ref: torch.Tensor, x: torch.Tensor = GRID) -> float:
    with torch.no_grad():
        return float((module(x) - ref).abs().max())


@pytest.mark.parametrize(
    ("init_as", "ref", "tol"),
    [
        ("relu", torch.relu, 1e-4),
        ("silu", nn.functional.silu, 1e-6),
        ("tanh", torch.tanh, 1e-6),
        ("sigmoid", torch.sigmoid, 1e-6),
    ],
)
def test_leaf_init_as_reproduces(init_as: str, ref: object, tol: float) -> None:
    assert _max_err(LEAF(init_as), ref(GRID)) < tol  # type: ignore[operator]


def test_leaf_relu_error_is_small_but_not_zero() -> None:
    err = _max_err(LEAF("relu"), torch.relu(GRID))
    assert 1e-7 < err < 1e-5  # the 65536 slope leaves about 4e-6


@pytest.mark.parametrize(("init_as", "ref"), [("relu", torch.relu), ("silu", nn.functional.silu)])
def test_ahaf_init_as(init_as: str, ref: object) -> None:
    assert _max_err(AHAF(init_as), ref(GRID)) < 1e-4  # type: ignore[operator]


def test_fneuron_tanh_init_error_and_weights() -> None:
    module = FNeuron("tanh")
    assert module.weight.shape == (18,)
    x = torch.linspace(-4, 4, 8001)
    err = _max_err(module, torch.tanh(x), x)
    assert 0.015 < err < 0.025
    centres = module.centres().float()
    torch.testing.assert_close(module(centres), torch.tanh(centres))


def test_fneuron_is_constant_outside_range_and_piecewise_linear() -> None:
    module = FNeuron("random", generator=0)
    w = module.weight.detach()
    far = torch.tensor([-100.0, -4.0, 4.0, 100.0])
    torch.testing.assert_close(module(far), torch.stack([w[0], w[0], w[-1], w[-1]]))
    c = module.centres().float()
    mid = (c[3] + c[4]) / 2
    torch.testing.assert_close(module(mid.reshape(1)), ((w[3] + w[4]) / 2).reshape(1))
    assert (w.abs() <= 1).all() and w.std() > 0.2


def test_fneuron_channel_sharing_uses_each_channels_table() -> None:
    module = FNeuron("random", sharing="channel", num_channels=3, generator=1)
    assert module.weight.shape == (3, 18)
    x = torch.full((2, 3, 4, 4), -50.0)
    y = module(x)
    torch.testing.assert_close(y[0, :, 0, 0], module.weight[:, 0].detach())


@pytest.mark.parametrize("cls", [LEAF, AHAF, FNeuron, RotatedReLU])
def test_sharing_shapes(cls: type[nn.Module]) -> None:
    x = torch.randn(2, 5, 3, 3)
    name = cls.param_names[0]  # type: ignore[attr-defined]
    trailing = (18,) if cls is FNeuron else ()
    channel = cls(sharing="channel", num_channels=5)
    element = cls(sharing="element", shape=(5, 3, 3))
    assert getattr(channel, name).shape == (5, *trailing)
    assert getattr(element, name).shape == (5, 3, 3, *trailing)
    assert channel(x).shape == element(x).shape == x.shape
    if cls is not RotatedReLU:
        assert getattr(cls(), name).shape == trailing


@pytest.mark.parametrize("sharing", ["channel", "element"])
def test_lazy_parameters_take_their_shape_from_the_first_input(sharing: str) -> None:
    module = LEAF("silu", sharing=sharing)
    assert is_lazy(module.p1)
    x = torch.randn(2, 4, 3, 3)
    torch.testing.assert_close(module(x), nn.functional.silu(x))
    assert module.p1.shape == ((4,) if sharing == "channel" else (4, 3, 3))
    assert isinstance(module.p1, nn.Parameter) and not is_lazy(module.p1)


def test_lazy_module_loads_a_state_dict_and_pickles() -> None:
    trained = LEAF("relu", sharing="channel", num_channels=3)
    with torch.no_grad():
        trained.p2.add_(torch.arange(3.0))
    fresh = pickle.loads(pickle.dumps(LEAF("relu", sharing="channel")))
    fresh.load_state_dict(trained.state_dict())
    torch.testing.assert_close(fresh.p2, trained.p2)


def test_per_channel_parameters_act_per_channel() -> None:
    module = LEAF("relu", sharing="channel", num_channels=2)
    with torch.no_grad():
        module.p4[1] = 7.0
    y = module(torch.zeros(3, 2, 4))
    assert (y[:, 0] == 0).all() and torch.allclose(y[:, 1], torch.full((3, 4), 7.0))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"init_as": "swish"}, "unknown LEAF init_as 'swish'; known: random, relu, sigmoid"),
        ({"sharing": "row"}, "unknown parameter sharing 'row'; known: channel, element, layer"),
        ({"sharing": "layer", "num_channels": 3}, "num_channels is only for sharing='channel'"),
        ({"sharing": "channel", "shape": (3,)}, "shape is only for sharing='element'"),
        ({"sharing": "channel", "num_channels": 0}, "positive"),
    ],
)
def test_bad_arguments_name_the_known_values(kwargs: dict, match: str) -> None:
    with pytest.raises(UserError, match=match):
        LEAF(**kwargs)


def test_unknown_init_as_for_every_family() -> None:
    for cls, known in [(AHAF, "relu, silu"), (FNeuron, "ramp, random, relu, sigmoid, tanh")]:
        with pytest.raises(UserError, match=f"known: {known}"):
            cls("nope")


def test_leaf_random_init_is_seeded() -> None:
    a, b, c = (LEAF("random", sharing="channel", num_channels=8, generator=s) for s in (3, 3, 4))
    torch.testing.assert_close(a.p3, b.p3)
    assert not torch.equal(a.p3, c.p3)
    assert (a.p1.abs() <= 1).all()


def test_rotated_init_distribution() -> None:
    module = RotatedReLU(num_channels=4000, generator=torch.Generator().manual_seed(0))
    slope = module.slope.detach()
    low, high = SLOPE_RANGE
    assert low == pytest.approx(0.7002, abs=1e-4) and high == pytest.approx(1.4281, abs=1e-4)
    assert ((slope.abs() >= low) & (slope.abs() <= high)).all()
    assert 0.45 < (slope > 0).float().mean() < 0.55
    # N(1, sqrt 3) truncated to [0.70, 1.43] is nearly flat: mean near the centre, wide spread
    assert slope.abs().mean() == pytest.approx((low + high) / 2, abs=0.03)
    assert slope.abs().std() > 0.18


@pytest.mark.parametrize("cls", [RotatedReLU, RotatedGELU, RotatedSiLU])
def test_rotated_is_slope_times_activation(cls: type) -> None:
    module = cls(num_channels=3, generator=2)
    x = torch.randn(5, 3, 4)
    ref = {
        RotatedReLU: torch.relu,
        RotatedGELU: nn.functional.gelu,
        RotatedSiLU: nn.functional.silu,
    }
    torch.testing.assert_close(module(x), module.slope.view(1, 3, 1) * ref[cls](x))


def test_zeta_pruning_kills_channels_exactly() -> None:
    model = nn.Sequential(nn.Conv2d(2, 4, 3), RotatedReLU())
    x = torch.randn(3, 2, 8, 8)
    model(x)
    with torch.no_grad():
        model[1].slope.copy_(torch.tensor([0.01, -0.03, 0.9, -1.1]))
    masks = prune_rotated_slopes(model, zeta=0.03)
    assert masks == {"1": masks["1"]} and masks["1"].tolist() == [False, False, True, True]
    with torch.no_grad():
        model[1].slope.fill_(1.0)  # a dead channel stays dead even if its slope moves
    y = model(x * 100)
    assert (y[:, :2] == 0).all() and (y[:, 2:] != 0).any()
    y.sum().backward()
    assert (model[1].slope.grad[:2] == 0).all() and (model[1].slope.grad[2:] != 0).all()


def test_rotated_needs_channels() -> None:
    with pytest.raises(UserError, match="batched"):
        create_activation("rotated_relu")(torch.randn(5))


def test_unseeded_random_inits_follow_torch_manual_seed() -> None:
    torch.manual_seed(5)
    a = RotatedReLU(num_channels=8)
    lazy_a = FNeuron("random", sharing="channel")
    torch.manual_seed(5)
    b = RotatedReLU(num_channels=8)
    lazy_b = FNeuron("random", sharing="channel")
    x = torch.randn(2, 3)
    torch.testing.assert_close(a.slope, b.slope)
    torch.testing.assert_close(lazy_a(x), lazy_b(x))
    before = a.slope.detach().clone()
    with torch.no_grad():
        a.slope.zero_()
    a.reset_parameters()
    torch.testing.assert_close(a.slope.detach(), before)


def test_deterministic_inits_leave_the_global_rng_alone() -> None:
    state = torch.get_rng_state()
    LEAF("relu", sharing="channel", num_channels=4)
    FNeuron("tanh")
    assert torch.equal(torch.get_rng_state(), state)
