"""SAFS activations: operator formulas, alpha/beta and the two stages."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from automl_sparse._errors import UserError
from automl_sparse.activations import (
    SAFS_OPERATORS,
    SafsActivation,
    create_activation,
    set_safs_stage,
)

PARAMETRIC = {
    "swish": {"p"},
    "tanhsoft1": {"p1"},
    "acon_c": {"p1", "p2", "p3"},
    "srs": {"p1", "p2"},
}


def test_candidate_list_matches_the_paper() -> None:
    assert len(SAFS_OPERATORS) == 13 and "relu" not in SAFS_OPERATORS
    assert set(PARAMETRIC) <= set(SAFS_OPERATORS)


X = torch.linspace(-6, 6, 241)


@pytest.mark.parametrize(
    ("op", "fn"),
    [
        ("swish", lambda x: x * torch.sigmoid(x)),
        ("tanhsoft1", lambda x: torch.tanh(x) * nn.functional.softplus(x)),
        ("acon_c", lambda x: x * torch.sigmoid(x)),
        ("srs", lambda x: x / (x / 5 + torch.exp(-x / 3))),
        ("relu6", lambda x: x.clamp(0, 6)),
        ("symexp", lambda x: torch.sign(x) * torch.expm1(x.abs())),
    ],
)
def test_operators_at_their_initial_values(op: str, fn: object) -> None:
    torch.testing.assert_close(create_activation(f"safs_{op}")(X), fn(X))  # type: ignore[operator]


def test_alpha_and_beta_scale_output_and_input() -> None:
    module = SafsActivation("tanh")
    with torch.no_grad():
        module.alpha.fill_(3.0)
        module.beta.fill_(0.5)
    torch.testing.assert_close(module(X), 3.0 * torch.tanh(0.5 * X))


def test_acon_c_formula_with_other_parameters() -> None:
    module = SafsActivation("acon_c", p1=2.0, p2=0.5, p3=3.0)
    d = 1.5 * X
    torch.testing.assert_close(module(X), d * torch.sigmoid(3.0 * d) + 0.5 * X)


def test_srs_stays_finite_far_left() -> None:
    x = torch.tensor([-1e4, -300.0, 0.0, 300.0], requires_grad=True)
    y = create_activation("safs_srs")(x)
    y.sum().backward()
    assert torch.isfinite(y).all() and torch.isfinite(x.grad).all()
    y = y.detach()
    assert float(y[-1]) == pytest.approx(5.0, rel=1e-3)
    assert abs(float(y[0])) < 1e-20


def _flags(module: SafsActivation) -> tuple[bool, bool, set[bool]]:
    op_flags = {p.requires_grad for p in module.op.parameters()}
    return module.alpha.requires_grad, module.beta.requires_grad, op_flags


@pytest.mark.parametrize("op", sorted(PARAMETRIC))
def test_stages_freeze_and_train_alpha_beta(op: str) -> None:
    model = nn.Sequential(create_activation(f"safs_{op}"), nn.Linear(3, 3), SafsActivation("gelu"))
    assert {n for n, _ in model[0].op.named_parameters()} == PARAMETRIC[op]
    assert _flags(model[0]) == (False, False, {True})  # default: stage 1
    assert set_safs_stage(model, 2) == 2
    assert _flags(model[0]) == (True, True, {True})
    assert model[2].alpha.requires_grad and model[2].beta.requires_grad
    set_safs_stage(model, 1)
    assert _flags(model[0]) == (False, False, {True})
    assert model[1].weight.requires_grad  # other layers untouched


def test_train_scale_argument_and_gradients() -> None:
    module = SafsActivation("srs", train_scale=True)
    module(X).sum().backward()
    assert module.alpha.grad is not None and module.beta.grad is not None
    assert module.op.p1.grad is not None
    frozen = SafsActivation("srs")
    frozen(X).sum().backward()
    assert frozen.alpha.grad is None and frozen.op.p2.grad is not None


def test_errors() -> None:
    with pytest.raises(UserError, match="unknown SAFS operator 'sin'; known: acon_c, elu"):
        SafsActivation("sin")
    with pytest.raises(UserError, match="stage=3"):
        set_safs_stage(nn.Sequential(SafsActivation("tanh")), 3)
