"""A trial's writes in one transaction each (RetryingRDBStorage): what Optuna reads back, on
SQLite and PostgreSQL, and that a trial which already ended is never written into."""

from __future__ import annotations

import time

import optuna
import pytest
import sqlalchemy as sa
from optuna.distributions import FloatDistribution, IntDistribution
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import TrialState

from automl_sparse.storage import RetryingRDBStorage, heartbeat, open_storage
from automl_sparse.storage._open import _beats


@pytest.fixture
def storage(storage_url: str) -> RetryingRDBStorage:
    opened = open_storage(storage_url, heartbeat_interval=1, grace_period=2)
    assert isinstance(opened, RetryingRDBStorage)
    return opened


def _study(storage: RetryingRDBStorage, name: str) -> optuna.Study:
    return optuna.create_study(storage=storage, study_name=name)


def _statements(storage: RetryingRDBStorage) -> list[str]:
    seen: list[str] = []
    sa.event.listen(storage.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_begin_and_finish_are_read_by_plain_optuna(storage, storage_url, study_name) -> None:
    study = _study(storage, study_name)
    trial = study.ask()
    storage.set_trial_params(
        trial._trial_id, [("x", 0.25, FloatDistribution(0, 1)), ("n", 3, IntDistribution(1, 5))]
    )
    storage.begin_trial(trial._trial_id, {"worker": "host:1", "params": {"x": 0.25, "n": 3}})
    storage.begin_trial(trial._trial_id, {"worker": "host:2"})  # a repeated call: upserts
    assert storage._get_stale_trial_ids(study._study_id) == []  # the first heartbeat is there
    assert storage.finish_trial(trial._trial_id, TrialState.COMPLETE, [0.5], {"acc": 0.5})
    (read,) = optuna.load_study(study_name=study_name, storage=storage_url).trials
    assert read.state == TrialState.COMPLETE and read.values == [0.5]
    assert read.params == {"x": 0.25, "n": 3}
    assert read.user_attrs == {"worker": "host:2", "params": {"x": 0.25, "n": 3}, "acc": 0.5}


def test_an_ended_trial_is_not_written_into(storage, study_name) -> None:
    study = _study(storage, study_name)
    trial = study.ask()
    storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)  # reaped meanwhile
    assert not storage.finish_trial(trial._trial_id, TrialState.COMPLETE, [1.0], {"acc": 1.0})
    with pytest.raises(UpdateFinishedTrialError):
        storage.begin_trial(trial._trial_id, {"worker": "host:1"})
    with pytest.raises(UpdateFinishedTrialError):
        storage.set_trial_user_attrs(trial._trial_id, {"acc": 1.0})
    read = storage.get_trial(trial._trial_id)
    assert read.state == TrialState.FAIL and read.values is None and read.user_attrs == {}


def test_params_keep_the_study_distributions(storage, study_name) -> None:
    study = _study(storage, study_name)
    first, second = study.ask(), study.ask()
    storage.set_trial_params(first._trial_id, [("x", 0.5, FloatDistribution(0, 1))])
    with pytest.raises(ValueError):
        storage.set_trial_params(second._trial_id, [("x", 2.0, IntDistribution(0, 5))])


def test_one_commit_per_trial_write(storage, study_name) -> None:
    """begin and finish are one statement batch each, not one transaction per attribute."""
    study = _study(storage, study_name)
    trial = study.ask()
    seen = _statements(storage)
    storage.begin_trial(trial._trial_id, {"worker": "w", "params": {}, "a": 1, "b": 2})
    storage.finish_trial(trial._trial_id, TrialState.COMPLETE, [1.0], {"c": 3, "d": 4, "e": 5})
    attr_writes = [s for s in seen if s.lstrip().upper().startswith("INSERT INTO TRIAL_USER")]
    assert len(attr_writes) == 2, seen


def test_heartbeats_share_one_thread_and_stop(storage, study_name) -> None:
    study = _study(storage, study_name)
    one, two = study.ask(), study.ask()
    with heartbeat(storage, one._trial_id), heartbeat(storage, two._trial_id, first_now=False):
        time.sleep(2.5)
        assert storage._get_stale_trial_ids(study._study_id) == []
    deadline = time.monotonic() + 5
    while _beats[storage]._thread is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _beats[storage]._thread is None  # the idle thread ended
    time.sleep(3)  # past the grace period: both are stale now that nothing beats
    assert sorted(storage._get_stale_trial_ids(study._study_id)) == sorted(
        [one._trial_id, two._trial_id]
    )
