"""Faults a study survives: killed workers, a killed coordinator, a second coordinator, trials
that raise, and the database restarting. Bounded in time; every process started is stopped."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import optuna
import pytest
from optuna.trial import FrozenTrial, TrialState
from typer.testing import CliRunner

from automl_sparse.cli import app
from automl_sparse.storage import keys, open_storage
from automl_sparse.study import count_finished, launch, reopen
from tests._studies import FAST_FAULTS, noop_study, tiny_study

runner = CliRunner()
FINAL = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from automl_sparse.cli import main; main()", *args]


@contextmanager
def _coordinator(*args: str) -> Iterator[subprocess.Popen[str]]:
    """A coordinator in its own process group; the group is killed on the way out."""
    process = subprocess.Popen(
        _cli(*args),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@functools.lru_cache(maxsize=8)
def _storage(url: str) -> optuna.storages.RDBStorage:
    # One connection pool per database however often polled; it rides out the restart test too.
    return open_storage(url)


def _trials(url: str, name: str) -> list[FrozenTrial]:
    try:
        return optuna.load_study(study_name=name, storage=_storage(url)).get_trials()
    except KeyError:
        return []


def _wait_for(check: Callable[[], object], timeout: float = 120.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def _running_with_progress(url: str, name: str) -> FrozenTrial | None:
    for trial in _trials(url, name):
        if (
            trial.state == TrialState.RUNNING
            and trial.intermediate_values
            and keys.WORKER in trial.user_attrs
        ):
            return trial
    return None


def _assert_budget_done(url: str, name: str, budget: int) -> list[FrozenTrial]:
    trials = _trials(url, name)
    assert all(t.state in FINAL for t in trials), [t.state for t in trials]
    assert count_finished(trials) == budget
    assert sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials) == budget
    return trials


def _kill_a_worker_then_check_its_retry(
    study_file: Path, url: str, name: str, budget: int
) -> FrozenTrial:
    """Launch, SIGKILL the worker process of a running trial, let the study end; check that
    the trial failed as lost and its retry completed with the same parameters. The retry."""
    with _coordinator("launch", str(study_file), "--storage", url) as coordinator:
        victim = _wait_for(lambda: _running_with_progress(url, name), timeout=200)
        os.kill(int(victim.user_attrs[keys.WORKER].rsplit(":", 1)[1]), signal.SIGKILL)
        _, stderr = coordinator.communicate(timeout=240)
        assert coordinator.returncode == 0, stderr
    trials = _assert_budget_done(url, name, budget)
    lost = next(t for t in trials if t.number == victim.number)
    assert lost.state == TrialState.FAIL and lost.user_attrs[keys.FAIL_KIND] == keys.FAIL_LOST
    retry = next(t for t in trials if t.user_attrs.get(keys.RETRY_OF) == lost.number)
    assert retry.state == TrialState.COMPLETE and retry.params == lost.params
    return retry


@pytest.mark.timeout(300)
def test_killed_worker_is_retried_from_its_checkpoint(storage_url, study_name, write_study) -> None:
    """SIGKILL of a worker process mid-trial: failed as lost, re-run with the same parameters,
    resuming from the last epoch checkpoint."""
    study = tiny_study(
        study_name,
        data={"name": "mnist-5k"},
        pretrain={"epochs": 1, "batch_size": 128},
        space={"sparsity": 0.8, "epochs": 6, "batch_size": 64, "lr": {"low": 1e-3, "high": 3e-3}},
        executor={"name": "process", "workers": 1},
        budget={"n_trials": 2},
        faults=FAST_FAULTS,
    )
    retry = _kill_a_worker_then_check_its_retry(write_study(study), storage_url, study_name, 2)
    assert retry.user_attrs[keys.RESUMED_EPOCHS] >= 1  # it went on from the checkpoint


@pytest.mark.timeout(240)
def test_killed_coordinator_then_resume(write_study, tmp_path: Path) -> None:
    """SIGKILL of the coordinator: running trials finish or are reaped; resume finishes the
    budget exactly, without losing or re-running a completed trial."""
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    study = noop_study(
        "kill",
        epochs=6,
        sleep_s=0.3,
        budget={"n_trials": 8},
        executor={"name": "process", "workers": 2},
    )
    with _coordinator("launch", str(write_study(study)), "--storage", url) as coordinator:
        _wait_for(lambda: any(t.state == TrialState.COMPLETE for t in _trials(url, "kill")))
        _wait_for(lambda: _running_with_progress(url, "kill"))
        os.kill(coordinator.pid, signal.SIGKILL)  # only the coordinator: its workers live on
        coordinator.wait(timeout=30)
        time.sleep(1.0)
    completed = {t.number: t.values for t in _trials(url, "kill") if t.state == TrialState.COMPLETE}

    def resume_once_lease_expired() -> bool:
        try:
            reopen("kill", url).run(log=lambda _: None)
        except Exception as error:
            assert "another coordinator" in str(error)
            return False
        return True

    _wait_for(resume_once_lease_expired, timeout=60)
    trials = _assert_budget_done(url, "kill", 8)
    assert {t.number: t.values for t in trials if t.number in completed} == completed


@pytest.mark.timeout(180)
def test_second_coordinator_is_refused(storage_url, study_name, write_study) -> None:
    study = noop_study(study_name, epochs=40, sleep_s=0.25, budget={"n_trials": 2})
    with _coordinator("launch", str(write_study(study)), "--storage", storage_url):
        _wait_for(lambda: _running_with_progress(storage_url, study_name))
        result = runner.invoke(app, ["resume", study_name, "--storage", storage_url])
        assert result.exit_code == 2
        assert "being run by another coordinator" in result.stderr


@pytest.mark.timeout(120)
def test_raising_trials_fail_with_reason_and_the_study_goes_on(
    storage_url, study_name, write_study
) -> None:
    study = noop_study(study_name, epochs=1, sleep_s=0.0, budget={"n_trials": 8})
    study["space"]["fail"] = {"choices": [False, True]}
    launch(write_study(study), storage=storage_url, log=lambda _: None)
    trials = _trials(storage_url, study_name)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert failed and len(trials) == 8 and count_finished(trials) == 8
    for trial in failed:
        assert trial.params["fail"] is True
        assert trial.user_attrs[keys.FAIL_KIND] == keys.FAIL_ERROR
        assert "asked to fail" in trial.user_attrs[keys.FAIL_REASON]


def _postgres(action: str) -> None:
    version = subprocess.run(
        ["ls", "/etc/postgresql"], capture_output=True, text=True
    ).stdout.split()[0]
    subprocess.run(
        [
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            version,
            "main",
            action,
            *(["-m", "fast"] if action == "stop" else []),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_database_restart_mid_study(study_name, write_study) -> None:
    """PostgreSQL stopped and started while trials run: everything retries, nothing is lost."""
    from tests.conftest import POSTGRES_URL

    study = noop_study(
        study_name,
        epochs=8,
        sleep_s=0.25,
        budget={"n_trials": 6},
        faults={"heartbeat_s": 1, "grace_s": 20, "max_retries": 2, "lease_s": 30.0},
    )
    errors: list[BaseException] = []

    def run() -> None:
        try:
            launch(write_study(study), storage=POSTGRES_URL, log=lambda _: None)
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        _wait_for(
            lambda: any(t.state == TrialState.COMPLETE for t in _trials(POSTGRES_URL, study_name))
        )
        _postgres("stop")
        time.sleep(3.0)
    finally:
        _postgres("start")
    thread.join(timeout=240)
    assert not thread.is_alive() and not errors, errors
    trials = _assert_budget_done(POSTGRES_URL, study_name, 6)
    assert all(
        t.state == TrialState.COMPLETE
        for t in trials
        if keys.RETRY_OF not in t.user_attrs and t.state != TrialState.FAIL
    )


@pytest.mark.timeout(300)
def test_killed_ray_worker_is_retried(write_study, tmp_path: Path) -> None:
    """SIGKILL of the Ray worker process running a trial: the trial fails as lost and re-runs
    with the same parameters; the coordinator's local Ray (127.0.0.1 only) stops at the end."""
    url = f"sqlite:///{tmp_path / 'ray.db'}"
    study = noop_study(
        "ray-kill",
        epochs=30,
        sleep_s=0.2,
        budget={"n_trials": 3},
        executor={"name": "ray", "workers": 2},
    )
    _kill_a_worker_then_check_its_retry(write_study(study), url, "ray-kill", 3)


def test_lost_trials_out_of_retries_count_as_finished() -> None:
    """A lineage lost more often than max_retries is final, so a study whose workers keep dying
    still ends."""
    from optuna.distributions import FloatDistribution
    from optuna.trial import create_trial

    def lost(number: int, retry_of: int | None = None) -> FrozenTrial:
        attrs = {keys.FAIL_KIND: keys.FAIL_LOST}
        if retry_of is not None:
            attrs[keys.RETRY_OF] = retry_of
        trial = create_trial(
            state=TrialState.FAIL,
            params={"x": 0.5},
            distributions={"x": FloatDistribution(0, 1)},
            user_attrs=attrs,
        )
        trial.number = number
        return trial

    chain = [lost(0), lost(1, retry_of=0)]
    assert count_finished(chain, max_retries=2) == 0  # one more re-run to come
    assert count_finished(chain, max_retries=1) == 1  # out of retries: final
    interrupted = lost(2)
    interrupted.user_attrs[keys.FAIL_KIND] = keys.FAIL_INTERRUPTED
    assert count_finished([interrupted], max_retries=0) == 0  # interruptions always re-run
