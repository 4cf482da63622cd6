"""Multi-phase studies: the plan's phases as runnable configs, carried values, launch, resume."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.trial import TrialState
from typer.testing import CliRunner

from automl_sparse._errors import UserError
from automl_sparse.cli import app
from automl_sparse.config import (
    Fixed,
    FloatRange,
    SearchSpace,
    StudyConfig,
    load_study_config,
    phase_config,
)
from automl_sparse.storage import keys
from automl_sparse.study import create, resume
from automl_sparse.study._api import _run
from tests._studies import noop_study, tiny_study

runner = CliRunner()


def two_phase_noop(name: str, trials: tuple[int, int] = (4, 3)) -> dict[str, Any]:
    """Phase ``search-x`` samples x and y; phase ``search-y`` keeps the best x and samples y."""
    study = noop_study(name, epochs=1, sleep_s=0.0)
    del study["budget"]
    study["phases"] = [
        {"name": "search-x", "budget": {"n_trials": trials[0]}},
        {
            "name": "search-y",
            "carry": ["x"],
            "space": {"y": {"low": 0.5, "high": 1.0}},
            "sampler": {"name": "tpe"},
            "budget": {"n_trials": trials[1]},
        },
    ]
    return study


def _remember(request: pytest.FixtureRequest, *names: str) -> None:
    """Have the storage fixture delete these studies from PostgreSQL afterwards."""
    request.node.created_studies = [*getattr(request.node, "created_studies", []), *names]


def _plan(write_study, study: dict[str, Any]) -> StudyConfig:  # type: ignore[no-untyped-def]
    config, _ = load_study_config(write_study(study), storage="sqlite://")
    return config


def test_phase_space_replaces_in_place_and_appends(write_study) -> None:
    plan = _plan(write_study, two_phase_noop("plan"))
    second = phase_config(plan, 1)
    assert second.name == "plan.search-y"
    assert isinstance(second.space, SearchSpace)
    assert list(second.space.params) == ["x", "y", "epochs", "sleep_s"]
    assert second.space.params["y"].low == 0.5  # type: ignore[union-attr]
    assert second.sampler.name == "tpe" and second.budget is not None
    assert second.budget.n_trials == 3 and second.phases == []


def test_carried_genes_become_fixed_slots(write_study) -> None:
    study = tiny_study("genes")
    del study["budget"]
    study["phases"] = [
        {"name": "one", "budget": {"n_trials": 2}},
        {"name": "two", "carry": ["activation", "scope"], "budget": {"n_trials": 2}},
    ]
    plan = _plan(write_study, study)
    genes = {"act.features.act1": "silu", "act.classifier.act4": "tanh"}
    second = phase_config(plan, 1, {**genes, "scope": "global"})
    assert isinstance(second.space, SearchSpace)
    params = second.space.params
    assert "activation" not in params
    assert params["act.features.act1"] == Fixed(value="silu")
    assert params["scope"] == Fixed(value="global")
    assert isinstance(params["lr"], FloatRange)  # not carried: still searched
    assert list(params)[:2] == ["act.features.act1", "act.classifier.act4"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s["phases"].append(dict(s["phases"][0])), "phase name 'search-x' is used twice"),
        (lambda s: s["phases"][0].update(carry=["x"]), "phases[0].carry"),
        (lambda s: s["phases"][1].update(carry=["nope"]), "phases[1].carry"),
        (
            lambda s: s["phases"][1].update(space={"y": {"low": 2.0, "high": 1.0}}),
            "phases[1].space",
        ),
        (lambda s: s["phases"][1].pop("budget"), "phases[1].budget"),
    ],
)
def test_bad_plans_are_one_clear_line(write_study, change, message: str) -> None:  # type: ignore[no-untyped-def]
    study = two_phase_noop("bad")
    change(study)
    with pytest.raises(UserError) as caught:
        load_study_config(write_study(study), storage="sqlite://")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_pinned_gene_must_name_a_slot(write_study, tmp_path: Path) -> None:
    study = tiny_study("pinned", space={"act.features.nope": "relu", "epochs": 1})
    with pytest.raises(UserError, match=r"space\.act\.features\.nope.*no activation slot"):
        create(write_study(study), storage=f"sqlite:///{tmp_path / 'p.db'}")
    assert not (tmp_path / "p.db").exists()  # nothing written


def _finished(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    return study.get_trials(states=(TrialState.COMPLETE,))


def test_launch_runs_both_phases_and_carries_the_best(
    write_study, storage_url: str, study_name: str, request: pytest.FixtureRequest
) -> None:
    _remember(request, f"{study_name}.search-x", f"{study_name}.search-y")
    path = write_study(two_phase_noop(study_name))
    result = runner.invoke(app, ["launch", str(path), "--storage", storage_url])
    assert result.exit_code == 0, result.output
    first = optuna.load_study(study_name=f"{study_name}.search-x", storage=storage_url)
    second = optuna.load_study(study_name=f"{study_name}.search-y", storage=storage_url)
    assert len(_finished(first)) == 4 and len(_finished(second)) == 3
    carried = second.user_attrs[keys.STUDY_CARRIED]
    assert carried == {
        "from_trial": first.best_trial.number,
        "params": {"x": first.best_params["x"]},
    }
    for trial in _finished(second):
        assert "x" not in trial.params and 0.5 <= trial.params["y"] <= 1.0
        assert trial.user_attrs[keys.PARAMS]["x"] == first.best_params["x"]
    assert second.user_attrs[keys.STUDY_PHASE] == 1
    assert second.user_attrs[keys.STUDY_PLAN]["name"] == study_name


def test_resume_by_plan_name_goes_on_to_the_next_phase(
    write_study, storage_url: str, study_name: str, request: pytest.FixtureRequest
) -> None:
    """The coordinator died after phase 1: ``resume NAME`` creates and runs phase 2."""
    _remember(request, f"{study_name}.search-x", f"{study_name}.search-y")
    prepared = create(write_study(two_phase_noop(study_name)), storage=storage_url)
    _run(prepared.study, prepared.config, storage_url, lambda _: None, None)
    names = optuna.get_all_study_names(storage_url)
    assert f"{study_name}.search-x" in names and f"{study_name}.search-y" not in names

    resume(study_name, storage_url, log=lambda _: None)
    second = optuna.load_study(study_name=f"{study_name}.search-y", storage=storage_url)
    first = optuna.load_study(study_name=f"{study_name}.search-x", storage=storage_url)
    assert len(_finished(first)) == 4 and len(_finished(second)) == 3

    again = runner.invoke(
        app, ["launch", str(write_study(two_phase_noop(study_name))), "--storage", storage_url]
    )
    assert again.exit_code == 2 and "already exists" in again.output


def test_status_and_best_by_plan_name(write_study, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    path = write_study(two_phase_noop("plan", trials=(2, 2)))
    assert runner.invoke(app, ["launch", str(path), "--storage", url]).exit_code == 0
    status = runner.invoke(app, ["status", "plan", "--storage", url])
    assert status.exit_code == 0, status.output
    assert "plan.search-x" in status.output and "plan.search-y" in status.output
    best = runner.invoke(app, ["best", "plan", "--storage", url, "--json"])
    second = optuna.load_study(study_name="plan.search-y", storage=url)
    assert json.loads(best.stdout)[0]["number"] == second.best_trial.number


def test_n_trials_option_sets_every_phase_budget(write_study) -> None:
    config, _ = load_study_config(
        write_study(two_phase_noop("quick")), storage="sqlite://", n_trials=1
    )
    assert [phase.budget.n_trials for phase in config.phases if phase.budget] == [1, 1]
