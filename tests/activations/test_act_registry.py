"""Every registered activation: forward, backward, shape; unknown names list the known ones."""

from __future__ import annotations

import re

import pytest
import torch

from automl_sparse._errors import UserError
from automl_sparse.activations import (
    SAFS_OPERATORS,
    AdaptiveActivation,
    create_activation,
    list_activations,
)

FIXED = [
    "relu", "relu6", "silu", "swish", "pswish", "gelu", "mish", "tanh", "sigmoid", "elu",
    "selu", "softplus", "hardswish", "lisht", "logsigmoid", "symlog", "symexp",
]  # fmt: skip


@pytest.mark.parametrize("shape", [(4, 3, 5, 5), (6, 7)], ids=["NCHW", "NC"])
@pytest.mark.parametrize("name", list_activations())
def test_forward_backward_keeps_shape(name: str, shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    module = create_activation(name)
    x = (torch.randn(shape) * 3).requires_grad_()
    y = module(x)
    assert y.shape == x.shape
    assert torch.isfinite(y).all()
    y.square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert x.grad.abs().sum() > 0
    for p in module.parameters():
        if p.requires_grad:
            assert p.grad is not None and torch.isfinite(p.grad).all()


def test_issue_names_are_registered() -> None:
    names = set(list_activations())
    assert set(FIXED) <= names
    assert {f"safs_{op}" for op in SAFS_OPERATORS} <= names
    assert {"leaf", "ahaf", "fneuron", "rotated_relu", "rotated_gelu", "rotated_silu"} <= names


def test_names_are_lower_case_identifiers_without_aliases() -> None:
    """One rule for every name: ``[a-z0-9_]`` (plain YAML scalars, Optuna choices)."""
    for name in list_activations():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
    assert "safs_acon_c" in list_activations() and "safs_srs" in list_activations()
    for bad in ("safs:srs", "safs-acon-c", "safs_acon-c"):
        with pytest.raises(UserError, match="known: "):
            create_activation(bad)


@pytest.mark.parametrize(
    ("name", "fn"),
    [
        ("pswish", lambda x: x * torch.sigmoid(2 * x)),
        ("lisht", lambda x: x * torch.tanh(x)),
        ("symlog", lambda x: torch.sign(x) * torch.log(x.abs() + 1)),
        ("symexp", lambda x: torch.sign(x) * (torch.exp(x.abs()) - 1)),
        ("swish", lambda x: x * torch.sigmoid(x)),
    ],
)
def test_fixed_formulas(name: str, fn: object) -> None:
    x = torch.linspace(-5, 5, 101)
    torch.testing.assert_close(create_activation(name)(x), fn(x))  # type: ignore[operator]


def test_unknown_activation_lists_known_names() -> None:
    with pytest.raises(UserError, match=r"unknown activation 'nope'; known: .*leaf.*safs_srs"):
        create_activation("nope")


@pytest.mark.parametrize("name", list_activations())
def test_forward_never_reads_values_on_the_host(name: str) -> None:
    """Meta tensors have no values: any .item()/bool()/nonzero() in forward would raise.

    (Lazy parameters do not survive ``.to("meta")`` in torch, so channels are given here.)
    """
    module = create_activation(name)
    if isinstance(module, AdaptiveActivation):
        module = create_activation(name, sharing="channel", num_channels=3)
    module = module.to("meta")
    x = torch.empty(2, 3, 4, 4, device="meta")
    assert module(x).shape == x.shape
