"""The smac sampler follows the study database: other workers' trials, resume, crashes."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from automl_sparse.samplers import SmacSampler, create_sampler
from automl_sparse.spaces import sample
from automl_sparse.storage import keys
from tests.samplers._objective import full_score, full_space

FAST = {"challengers": 200, "local_search_iterations": 2, "n_initial": 4}


def _finish_with_random(study: optuna.Study, n: int, seed: int = 0) -> None:
    """Trials run by 'other workers' with another sampler, written straight to the study."""
    params = full_space(2)
    study.sampler = optuna.samplers.RandomSampler(seed=seed)
    for _ in range(n):
        trial = study.ask()
        study.tell(trial, full_score(sample(trial, params)))


def _n_told(sampler: SmacSampler) -> int:
    """Trials in SMAC's run history with a result (asked ones are in it as RUNNING)."""
    from smac.runhistory import StatusType

    return sum(v.status != StatusType.RUNNING for v in sampler.runhistory._data.values())


def _ask(study: optuna.Study, sampler: SmacSampler) -> optuna.Trial:
    study.sampler = sampler
    trial = study.ask()
    sample(trial, full_space(2))
    return trial


def test_tells_trials_finished_elsewhere_then_asks_new_configs() -> None:
    study = optuna.create_study(direction="maximize")
    _finish_with_random(study, 6)
    sampler = create_sampler("smac", seed=0, space=full_space(2), **FAST)
    assert isinstance(sampler, SmacSampler)
    trial = _ask(study, sampler)
    assert _n_told(sampler) == 6
    assert sampler.told == set(range(6))
    study.tell(trial, full_score(sample(trial, full_space(2))))
    _finish_with_random(study, 3, seed=1)  # more trials by other workers meanwhile
    new = _ask(study, sampler)
    assert _n_told(sampler) == 10  # 6 + its own + 3 more
    asked = {tuple(sorted(t.params.items())) for t in study.trials[:-1]}
    assert tuple(sorted(new.params.items())) not in asked


def test_failed_and_stopped_trials_are_told_as_crashed() -> None:
    from smac.runhistory import StatusType

    study = optuna.create_study(direction="maximize")
    _finish_with_random(study, 3)
    params = full_space(2)
    for state in (TrialState.FAIL, TrialState.PRUNED):
        trial = study.ask()
        sample(trial, params)
        trial.set_user_attr(keys.FAIL_KIND, keys.FAIL_ERROR)
        study.tell(trial, state=state)
    interrupted = study.ask()
    sample(interrupted, params)
    interrupted.set_user_attr(keys.FAIL_KIND, keys.FAIL_INTERRUPTED)
    study.tell(interrupted, state=TrialState.FAIL)
    sampler = create_sampler("smac", seed=0, space=params, **FAST)
    _ask(study, sampler)
    statuses = [value.status for value in sampler.runhistory._data.values()]
    assert statuses.count(StatusType.CRASHED) == 2  # the interrupted one waits for its retry
    assert statuses.count(StatusType.SUCCESS) == 3
    worst = min(t.value for t in study.trials if t.state == TrialState.COMPLETE)
    crashed = [v.cost for v in sampler.runhistory._data.values() if v.status == StatusType.CRASHED]
    assert crashed == [pytest.approx(-worst)] * 2  # cost = -accuracy, crash = worst seen


def test_resume_rebuilds_from_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = optuna.create_study(study_name="s", storage=url, direction="maximize")
    first = create_sampler("smac", seed=0, space=full_space(2), **FAST)
    for _ in range(5):
        trial = _ask(study, first)
        study.tell(trial, full_score(sample(trial, full_space(2))))
    resumed = optuna.load_study(study_name="s", storage=url)
    second = create_sampler("smac", seed=5, space=full_space(2), **FAST)
    trial = _ask(resumed, second)
    assert _n_told(second) == 5
    study.tell(trial, full_score(sample(trial, full_space(2))))
    assert resumed.trials[-1].params not in [t.params for t in resumed.trials[:-1]]


def test_conditional_space_is_honoured() -> None:
    params = full_space(1)
    sampler = create_sampler("smac", seed=2, space=params, **FAST)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    for _ in range(12):
        trial = study.ask()
        values = sample(trial, params)
        assert ("momentum" in trial.params) == (values["optimizer"] == "sgd")
        study.tell(trial, full_score(values))
    assert {t.params["optimizer"] for t in study.trials} == {"sgd", "adam"}


def test_enqueued_retries_keep_their_params() -> None:
    params = full_space(1)
    sampler = create_sampler("smac", seed=0, space=params, **FAST)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    fixed = {"act.layer0": "tanh", "optimizer": "adam", "lr": 0.001}
    study.enqueue_trial(fixed)
    trial = study.ask()
    sample(trial, params)
    assert trial.params == fixed
    assert sampler.runhistory is None  # SMAC was not asked


def test_asks_from_several_threads_at_once() -> None:
    """The coordinator's asker threads ask concurrently; SMAC's own ask is not reentrant."""
    from concurrent.futures import ThreadPoolExecutor

    study = optuna.create_study(direction="maximize")
    _finish_with_random(study, 6)
    sampler = create_sampler("smac", seed=0, space=full_space(2), **FAST)
    study.sampler = sampler

    def ask_and_tell(_: int) -> None:
        trial = study.ask()
        study.tell(trial, full_score(sample(trial, full_space(2))))

    with ThreadPoolExecutor(max_workers=4) as threads:
        list(threads.map(ask_and_tell, range(16)))
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 22
