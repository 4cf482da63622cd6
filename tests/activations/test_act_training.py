"""Activation parameters, freezing and the AAF parameter groups."""

from __future__ import annotations

import pytest
import torch

from automl_sparse._errors import UserError
from automl_sparse.activations import (
    aaf_param_groups,
    activation_parameters,
    freeze_all_but_activations,
    named_activation_parameters,
    replace_activations,
)
from automl_sparse.models import create_model


def _leaf_lenet(example: bool = True) -> torch.nn.Module:
    model = create_model("lenet5", activation="relu")
    x = torch.randn(2, 1, 28, 28) if example else None
    replace_activations(model, "leaf", init_as="relu", sharing="channel", example_input=x)
    return model


def test_activation_parameters_are_those_in_slots() -> None:
    model = _leaf_lenet()
    names = list(named_activation_parameters(model))
    assert len(names) == 16 and names[0] == "features.act1.fn.p1"
    assert len(activation_parameters(model)) == 16
    assert not activation_parameters(create_model("lenet5", activation="relu"))


def test_freeze_all_but_activations() -> None:
    model = _leaf_lenet()
    frozen = freeze_all_but_activations(model)
    assert "features.conv1.weight" in frozen and len(frozen) == 10
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == set(named_activation_parameters(model))


def test_aaf_param_groups_put_leaf_p2_p4_at_the_slow_rate() -> None:
    model = _leaf_lenet()
    freeze_all_but_activations(model)
    fast, slow = aaf_param_groups(model)
    assert fast["lr"] == 1e-3 and slow["lr"] == 1e-6
    names = {id(p): n for n, p in model.named_parameters()}
    assert {names[id(p)].rsplit(".", 1)[1] for p in slow["params"]} == {"p2", "p4"}
    assert {names[id(p)].rsplit(".", 1)[1] for p in fast["params"]} == {"p1", "p3"}
    torch.optim.Adam(aaf_param_groups(model))  # a valid optimizer spec


def test_aaf_param_groups_include_unfrozen_weights_and_skip_empty_groups() -> None:
    groups = aaf_param_groups(create_model("lenet5", activation="relu"), lr=0.1)
    assert len(groups) == 1 and groups[0]["lr"] == 0.1 and len(groups[0]["params"]) == 10


def test_lazy_parameters_must_be_materialised_first() -> None:
    with pytest.raises(UserError, match="example_input"):
        aaf_param_groups(_leaf_lenet(example=False))
