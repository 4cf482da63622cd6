"""The CLI through Typer's runner: launch, status, best, resume, and every --help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from automl_sparse.cli import app
from tests._studies import tiny_study

runner = CliRunner()


@pytest.mark.parametrize("command", [[], ["launch"], ["resume"], ["status"], ["best"]])
def test_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_launch_status_best_resume(write_study, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    study = write_study(tiny_study("cli"))
    launched = runner.invoke(app, ["launch", str(study), "--storage", url, "--n-trials", "2"])
    assert launched.exit_code == 0, launched.output
    assert "best trial" in launched.output and "2/2" in launched.output

    status = runner.invoke(app, ["status", "cli", "--storage", url])
    assert status.exit_code == 0 and "COMPLETE" in status.output

    best = runner.invoke(app, ["best", "cli", "--storage", url, "--json"])
    rows = json.loads(best.stdout)
    assert len(rows) == 1 and rows[0]["state"] == "COMPLETE"
    assert set(rows[0]["metrics"]) >= {"val_accuracy", "test_accuracy", "sparsity", "flops"}

    resumed = runner.invoke(app, ["resume", "cli", "--storage", url, "--n-trials", "3"])
    assert resumed.exit_code == 0, resumed.output
    listing = runner.invoke(app, ["status", "--storage", url])
    assert "cli: 3 trials" in listing.output

    again = runner.invoke(app, ["launch", str(study), "--storage", url])
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_storage_from_environment(write_study, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AUTOML_SPARSE_STORAGE", f"sqlite:///{tmp_path / 'env.db'}")
    result = runner.invoke(app, ["launch", str(write_study(tiny_study("env"))), "--n-trials", "1"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "env.db").exists()
    assert runner.invoke(app, ["best", "env"]).exit_code == 0
