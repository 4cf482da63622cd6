"""The study file: schema, space files, storage precedence."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from automl_sparse import UserError
from automl_sparse.config import STORAGE_ENV, Categorical, FloatRange, IntRange, load_study_config
from tests._studies import tiny_study


def test_valid_study_resolves_space_paths_and_default_storage(write_study) -> None:
    config, url = load_study_config(write_study(tiny_study("demo")))
    space = config.space.params
    assert isinstance(space["activation"], Categorical) and space["activation"].per_slot
    assert isinstance(space["sparsity"], FloatRange) and isinstance(space["epochs"], IntRange)
    assert space["batch_size"].value == 64
    assert url.startswith("sqlite:///") and url.endswith("/demo.db")
    assert Path(config.artifacts).is_absolute()
    assert config.storage is None  # never stored: it may carry a password


def test_storage_precedence_cli_then_env_then_file(write_study, monkeypatch) -> None:
    path = write_study(tiny_study("demo", storage="sqlite:///from-file.db"))
    assert load_study_config(path)[1] == "sqlite:///from-file.db"
    monkeypatch.setenv(STORAGE_ENV, "sqlite:///from-env.db")
    assert load_study_config(path)[1] == "sqlite:///from-env.db"
    assert load_study_config(path, storage="sqlite:///cli.db")[1] == "sqlite:///cli.db"


def test_space_file_is_read_beside_the_study(write_study, tmp_path: Path) -> None:
    (tmp_path / "search_spaces").mkdir()
    (tmp_path / "search_spaces" / "small.yaml").write_text(
        yaml.safe_dump({"space": {"sparsity": {"low": 0.9, "high": 0.95}}})
    )
    config, _ = load_study_config(write_study(tiny_study("demo", space="small")))
    assert config.space.params["sparsity"].high == 0.95


def test_overrides_from_the_command_line(write_study) -> None:
    config, _ = load_study_config(
        write_study(tiny_study("demo")), n_trials=7, executor="process", workers=2
    )
    assert config.budget.n_trials == 7
    assert (config.executor.name, config.executor.workers) == ("process", 2)


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ({"lr": {"low": 1.0, "high": 0.1}}, "low must be below high"),
        ({"lr": {"low": 0.0, "high": 0.1, "log": True}}, "log range needs low > 0"),
        (
            {"momentum": {"low": 0.5, "high": 0.9, "when": {"optimizer": "sgd"}}},
            "not defined before",
        ),
        (
            {
                "optimizer": {"choices": ["adam"]},
                "momentum": {"low": 0.5, "high": 0.9, "when": {"optimizer": "sgd"}},
            },
            "can never hold",
        ),
        ({"epochs": {"choices": []}}, "at least 1 item"),
    ],
)
def test_contradictory_spaces_are_errors_at_load(write_study, space, message) -> None:
    with pytest.raises(UserError, match=message):
        load_study_config(write_study(tiny_study("demo", space=space)))
