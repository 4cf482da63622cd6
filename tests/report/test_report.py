"""The report: every plot named in the HTML, every image a real PNG file; running studies work."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import optuna
from typer.testing import CliRunner

from automl_sparse.cli import app
from automl_sparse.report import PNG_SIGNATURE, complete_trials, pareto_front, write_report
from automl_sparse.report._report import _importance_figure
from automl_sparse.study import create
from tests._studies import tiny_study
from tests.report._finished import Finished

runner = CliRunner()
PLOTS = (
    "Optimisation history",
    "Accuracy against sparsity",
    "Accuracy against FLOPs",
    "Pareto fronts",
    "Parameter importances",
    "Activation per layer over the best trials",
    "Learned activation shapes",
    "Per-layer sparsity of the best network",
)


def _images(page: str) -> list[str]:
    return re.findall(r"<img src='([^']+)'", page)


def test_report_names_every_plot_and_every_image_is_a_png(
    finished: Finished, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    args = ["report", finished.name, "--storage", finished.url, "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    page = (out / "index.html").read_text()
    for title in PLOTS:
        assert f"<h2>{title}</h2>" in page
    images = _images(page)
    assert len(images) >= len(PLOTS)
    assert any(name.startswith("activation_shapes_trial_") for name in images)
    for name in images:
        assert "/" not in name
        assert (out / name).read_bytes()[:8] == PNG_SIGNATURE, name
    assert f"Study {finished.name}" in page


def test_report_of_a_running_study_uses_complete_trials_only(
    finished: Finished, tmp_path: Path
) -> None:
    with (
        closing(sqlite3.connect(finished.folder / "studies.db")) as source,
        closing(sqlite3.connect(tmp_path / "running.db")) as copy,
    ):
        source.backup(copy)  # the database is in WAL mode: copying the file is not enough
    url = f"sqlite:///{tmp_path / 'running.db'}"
    study = optuna.load_study(study_name=finished.name, storage=url)
    study.ask()  # a trial still running
    path = write_report(study, tmp_path / "report")
    page = path.read_text()
    assert "4 complete, 1 running" in page
    assert all((path.parent / name).is_file() for name in _images(page))


def test_report_of_a_study_without_complete_trials_says_so(write_study, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    create(write_study(tiny_study("empty")), storage=url)
    out = tmp_path / "report"
    result = runner.invoke(app, ["report", "empty", "--storage", url, "--out", str(out)])
    assert result.exit_code == 2
    assert "no complete trial yet" in result.output
    assert not out.exists()


def test_importances_of_one_trial_are_a_message(finished: Finished) -> None:
    study = finished.load()
    figure = _importance_figure(study, complete_trials(study)[:1], "val_accuracy")
    assert "at least 2 complete trials" in " ".join(t.get_text() for t in figure.texts)


def test_pareto_front_uses_natural_directions(finished: Finished) -> None:
    trials = complete_trials(finished.load())
    front = pareto_front(trials, ["val_accuracy", "flops"])
    for trial in trials:
        if trial in front:
            continue
        acc, flops = trial.user_attrs["val_accuracy"], trial.user_attrs["flops"]
        assert any(
            f.user_attrs["val_accuracy"] >= acc and f.user_attrs["flops"] <= flops for f in front
        )
