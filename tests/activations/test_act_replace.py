"""Replacing activations in built and trained networks; slots for any network."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.activations import (
    LEAF,
    ActivationSlot,
    FNeuron,
    activation_slots,
    has_lazy_activations,
    load_base_weights,
    replace_activations,
    set_activations,
    wrap_activations,
)
from automl_sparse.models import create_model

MODELS = {
    "lenet5": {"in_channels": 1, "input_size": 28},
    "kerasnet": {"in_channels": 3, "input_size": 32},
}


def _model_and_input(name: str) -> tuple[nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    opts = MODELS[name]
    model = create_model(name, activation="relu", **opts).eval()
    x = torch.randn(8, opts["in_channels"], opts["input_size"], opts["input_size"]) * 2
    return model, x


@pytest.mark.parametrize("sharing", ["layer", "channel"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_leaf_as_relu_keeps_the_trained_function(name: str, sharing: str) -> None:
    model, x = _model_and_input(name)
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        base = model(x)
    replace_activations(model, "leaf", init_as="relu", sharing=sharing, example_input=x)
    assert all(isinstance(s.fn, LEAF) for s in activation_slots(model).values())
    assert not has_lazy_activations(model)
    with torch.no_grad():
        err = (model(x) - base).abs().max()
    assert err < 1e-4
    for key, value in weights.items():
        assert torch.equal(model.state_dict()[key], value)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_leaf_as_silu_changes_a_relu_network(name: str) -> None:
    model, x = _model_and_input(name)
    with torch.no_grad():
        base = model(x)
        replace_activations(model, "leaf", init_as="silu")
        assert (model(x) - base).abs().max() > 1e-3


def test_rebuild_and_load_base_weights() -> None:
    base, x = _model_and_input("kerasnet")
    adaptive = create_model("kerasnet", activation="ahaf", **MODELS["kerasnet"]).eval()
    load_base_weights(adaptive, base.state_dict())
    with torch.no_grad():
        assert (adaptive(x) - base(x)).abs().max() < 1e-4
    bad = {**base.state_dict(), "extra.weight": torch.zeros(1)}
    with pytest.raises(UserError, match=r"extra\.weight"):
        load_base_weights(adaptive, bad)


def test_chosen_slots_only_and_unknown_slot() -> None:
    model, _ = _model_and_input("lenet5")
    replace_activations(model, "fneuron", slots=["classifier.act4"], init_as="random")
    kinds = {p: type(s.fn).__name__ for p, s in activation_slots(model).items()}
    assert kinds == {
        "features.act1": "ReLU",
        "features.act2": "ReLU",
        "classifier.act3": "ReLU",
        "classifier.act4": "FNeuron",
    }
    with pytest.raises(UserError, match=r"unknown activation slots \['nope'\]; model has"):
        replace_activations(model, "relu", slots=["nope"])


def test_module_instances_are_copied_per_slot() -> None:
    model, _ = _model_and_input("lenet5")
    replace_activations(model, FNeuron("tanh"))
    fns = [s.fn for s in activation_slots(model).values()]
    assert len({id(f) for f in fns}) == 4


def test_set_activations_genome_with_lazy_channels() -> None:
    model, x = _model_and_input("lenet5")
    genome = {"features.act1": LEAF("relu", sharing="channel"), "classifier.act3": "safs_srs"}
    set_activations(model, genome)
    assert has_lazy_activations(model)
    set_activations(model, {}, example_input=x[:2])
    assert activation_slots(model)["features.act1"].fn.p1.shape == (6,)
    assert model.training is False  # materialising restored the mode


def test_new_activations_follow_the_model_dtype() -> None:
    model, x = _model_and_input("lenet5")
    model.double()
    replace_activations(model, "leaf", init_as="tanh", sharing="channel", example_input=x.double())
    assert activation_slots(model)["features.act1"].fn.p1.dtype == torch.float64


class _Native(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3), nn.SiLU())
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 4 * 4, 5), nn.GELU())
        self.shared = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shared(self.head(self.body(x)))


def test_wrap_activations_gives_any_network_slots() -> None:
    torch.manual_seed(0)
    model = _Native().eval()
    x = torch.randn(2, 3, 8, 8)
    base = model(x)
    assert wrap_activations(model) == ["body.1", "body.3", "head.2", "shared"]
    assert isinstance(model.body[1], ActivationSlot) and isinstance(model.body[1].fn, nn.ReLU)
    torch.testing.assert_close(model(x), base)
    assert wrap_activations(model) == []  # idempotent
    replace_activations(model, "leaf", slots=["body.1", "shared"], init_as="relu")
    assert (model(x) - base).abs().max() < 1e-4
