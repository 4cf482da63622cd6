"""Every mistake a user can make gives one clear line, exit code 2, and writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from automl_sparse.cli import app
from tests._studies import tiny_study

runner = CliRunner()


def _study_with(**changes: Any) -> dict[str, Any]:
    study = tiny_study("bad")
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        node = study
        for key in parents:
            node = node[key]
        node[leaf] = value
    return study


CASES = {
    "unknown key": (_study_with(colour="blue"), ["field 'colour'", "unknown key"]),
    "wrong type": (_study_with(budget__n_trials="many"), ["field 'budget.n_trials'", "integer"]),
    "unknown model": (_study_with(model__name="lenet6"), ["model.name", "'lenet6'", "lenet5"]),
    "no model for a pipeline that needs one": (
        {k: v for k, v in tiny_study("bad").items() if k != "model"},
        ["field 'model'", "sparse_finetune pipeline needs a model"],
    ),
    "unknown data": (_study_with(data__name="mnist-6k"), ["data.name", "'mnist-6k'", "digits"]),
    "unknown activation": (
        _study_with(space__activation={"choices": ["relu", "swishy"], "per_slot": True}),
        ["space.activation", "'swishy'", "silu"],
    ),
    "unknown sampler": (_study_with(sampler__name="tpee"), ["sampler.name", "'tpee'", "tpe"]),
    "unknown stopping": (_study_with(stopping={"name": "medain"}), ["stopping.name", "median"]),
    "unknown executor": (_study_with(executor__name="cloud"), ["executor.name", "inline"]),
    "sparsity range to 1": (
        _study_with(space__sparsity={"low": 0.5, "high": 1.0}),
        ["space.sparsity", "[0.0, 1.0)"],
    ),
    "sparsity fixed above 1": (_study_with(space__sparsity=1.2), ["space.sparsity", "1.2"]),
    "n_trials zero": (
        _study_with(budget__n_trials=0),
        ["budget.n_trials", "greater than or equal to 1"],
    ),
    "test metric as objective": (
        _study_with(objectives=[{"metric": "test_accuracy"}]),
        ["objectives.0.metric", "test split"],
    ),
    "unknown space parameter": (
        _study_with(space__learning_rate=0.1),
        ["space.learning_rate", "unknown parameter", "lr"],
    ),
    "missing data root": (
        _study_with(data={"name": "cifar10", "root": "/nonexistent/cifar"}),
        ["/nonexistent/cifar", "download: true"],
    ),
}


def _assert_one_clear_line(result: Any, expected: list[str]) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    for part in expected:
        assert part in lines[0], lines[0]


@pytest.mark.parametrize("case", list(CASES))
def test_bad_study_file(case: str, write_study, tmp_path: Path) -> None:
    study, expected = CASES[case]
    path = write_study(study)
    db = tmp_path / "never.db"
    result = runner.invoke(app, ["launch", str(path), "--storage", f"sqlite:///{db}"])
    _assert_one_clear_line(
        result, [str(path), *expected] if case != "missing data root" else expected
    )
    assert not db.exists(), "nothing may be written to the database"


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: demo\nmodel: {name: lenet5\n")
    result = runner.invoke(app, ["launch", str(path)])
    _assert_one_clear_line(result, [f"{path}:", "YAML syntax error"])


def test_missing_study_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["launch", str(tmp_path / "nope.yaml")])
    _assert_one_clear_line(result, ["nope.yaml", "not found"])


def test_n_trials_flag_below_one(write_study, tmp_path: Path) -> None:
    db = tmp_path / "never.db"
    path = write_study(tiny_study("bad"))
    result = runner.invoke(
        app, ["launch", str(path), "--n-trials", "0", "--storage", f"sqlite:///{db}"]
    )
    _assert_one_clear_line(result, ["--n-trials", "at least 1"])
    assert not db.exists()


def test_unreachable_storage_hides_password(write_study) -> None:
    url = "postgresql+psycopg://someone:secret@127.0.0.1:1/nowhere"
    result = runner.invoke(app, ["launch", str(write_study(tiny_study("bad"))), "--storage", url])
    _assert_one_clear_line(result, ["cannot be reached", "127.0.0.1:1"])
    assert "secret" not in result.output


def test_storage_url_that_is_not_a_url(write_study) -> None:
    result = runner.invoke(app, ["launch", str(write_study(tiny_study("bad"))), "--storage", "db"])
    _assert_one_clear_line(result, ["'db'", "not a SQLAlchemy URL"])


@pytest.mark.parametrize("command", ["resume", "status", "best"])
def test_unknown_study_lists_the_known_ones(command: str, tmp_path: Path) -> None:
    result = runner.invoke(app, [command, "ghost", "--storage", f"sqlite:///{tmp_path / 'x.db'}"])
    _assert_one_clear_line(result, ["no study 'ghost'", "studies there: none"])


@pytest.mark.parametrize("command", ["resume", "status", "best"])
def test_no_storage_anywhere(command: str, monkeypatch) -> None:
    monkeypatch.delenv("AUTOML_SPARSE_STORAGE", raising=False)
    result = runner.invoke(app, [command, "ghost"] if command != "status" else [command])
    _assert_one_clear_line(result, ["--storage", "AUTOML_SPARSE_STORAGE"])
