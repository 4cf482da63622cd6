"""The expanded space compiles to Optuna distributions and to ConfigSpace, conditions included."""

from __future__ import annotations

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from automl_sparse._errors import UserError
from automl_sparse.config import SearchSpace
from automl_sparse.spaces import (
    Param,
    check_space,
    expand,
    from_configuration,
    sample,
    search_space_distributions,
    to_configspace,
    to_configuration,
)

RAW = {
    "activation": {"choices": ["relu", "silu"], "per_slot": True},
    "optimizer": {"choices": ["sgd", "adam", "fromage"]},
    "momentum": {"low": 0.1, "high": 0.999, "when": {"optimizer": "sgd"}},
    "weight_decay": {"low": 1e-5, "high": 1e-1, "when": {"optimizer": ["sgd", "adam"]}},
    "lr": {"low": 1e-4, "high": 1e-1, "log": True},
    "epochs": {"low": 1, "high": 9, "step": 2},
    "label_smoothing": {"low": 0.0, "high": 0.2, "step": 0.05},
    "batch_size": 64,
    "flag": {"choices": [True, False]},
}


def _params(raw: dict = RAW) -> list[Param]:  # type: ignore[type-arg]
    return expand(SearchSpace.model_validate(raw), ["conv1", "fc1"])


def test_distributions_match_what_sample_suggests() -> None:
    distributions = search_space_distributions(_params())
    assert "batch_size" not in distributions  # fixed values are not searched
    assert distributions["act.conv1"] == CategoricalDistribution(["relu", "silu"])
    assert distributions["lr"] == FloatDistribution(1e-4, 1e-1, log=True)
    assert distributions["epochs"] == IntDistribution(1, 9, step=2)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(20):
        trial = study.ask(distributions)  # the full space up front is consistent with sample()
        sample(trial, _params())
        study.tell(trial, 0.0)


def test_configspace_has_every_kind_and_condition() -> None:
    cs = to_configspace(_params(), seed=0)
    assert type(cs["batch_size"]).__name__ == "Constant"
    assert type(cs["epochs"]).__name__ == "OrdinalHyperparameter"
    assert list(cs["epochs"].sequence) == [1, 3, 5, 7, 9]
    assert cs["lr"].log
    conditions = {c.child.name: type(c).__name__ for c in cs.conditions}
    assert conditions == {"momentum": "EqualsCondition", "weight_decay": "InCondition"}


def test_configurations_honour_conditions_and_convert_to_plain_python() -> None:
    cs = to_configspace(_params(), seed=1)
    for config in cs.sample_configuration(30):
        values = from_configuration(config)
        assert ("momentum" in values) == (values["optimizer"] == "sgd")
        assert ("weight_decay" in values) == (values["optimizer"] != "fromage")
        for value in values.values():
            assert type(value) in (bool, int, float, str)
        assert to_configuration(cs, values) == config


def test_to_configuration_drops_inactive_and_fills_constants() -> None:
    cs = to_configspace(_params(), seed=0)
    values = {
        "act.conv1": "relu",
        "act.fc1": "silu",
        "optimizer": "fromage",
        "momentum": 0.5,  # inactive without sgd: dropped
        "lr": 0.01,
        "epochs": 3,
        "label_smoothing": 0.05,
        "flag": False,
    }
    config = to_configuration(cs, values)
    assert "momentum" not in dict(config)
    assert config["batch_size"] == 64


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"lr": {"low": 1e-4, "high": 1e-1, "log": True, "step": 1e-3}}, "log range"),
        ({"epochs": {"low": 1, "high": 3, "step": 5}}, "wider than"),
        ({"act.x": {"choices": ["relu"]}}, "reserved"),
        ({"opt": {"choices": ["a", "a"]}}, "'opt'.*2 times"),  # ConfigSpace's own check
        (
            {
                "activation": {"choices": ["relu", "silu"], "per_slot": True},
                "lr": {"low": 0.1, "high": 0.2, "when": {"activation": "relu"}},
            },
            "per-slot",
        ),
    ],
)
def test_contradictory_spaces_are_one_line_errors(raw: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(UserError, match=message) as error:
        check_space(_params(raw), configspace=True)
    assert "\n" not in str(error.value)


def test_shipped_style_space_passes_check() -> None:
    check_space(_params(), configspace=True)
