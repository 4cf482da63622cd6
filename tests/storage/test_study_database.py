"""The study database on SQLite and on the PostgreSQL server: what a study writes, Optuna reads."""

from __future__ import annotations

import threading
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, make_server

import optuna
import pytest
from optuna.trial import TrialState

from automl_sparse.storage import keys, open_storage
from automl_sparse.study import count_finished, launch, load_study, reopen, stored_config
from tests._studies import tiny_study

METRIC_KEYS = (
    keys.VAL_ACCURACY,
    keys.TEST_ACCURACY,
    keys.SPARSITY,
    keys.NONZERO_PARAMS,
    keys.FLOPS,
    keys.LATENCY_MS,
    keys.PER_LAYER_SPARSITY,
    keys.ACTIVATIONS,
    keys.PARAMS,
)


def test_open_storage_creates_the_schema(storage_url: str) -> None:
    storage = open_storage(storage_url)
    assert isinstance(optuna.get_all_study_names(storage), list)


def test_study_is_readable_by_plain_optuna(storage_url, study_name, write_study) -> None:
    launch(write_study(tiny_study(study_name)), storage=storage_url, log=lambda _: None)
    study = optuna.load_study(study_name=study_name, storage=storage_url)
    trials = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(trials) == 3
    for trial in trials:
        assert set(trial.params) >= {"sparsity", "scope", "lr", "epochs"}
        assert any(name.startswith("act.") for name in trial.params)
        assert trial.values == [trial.user_attrs[keys.VAL_ACCURACY]]
        assert all(key in trial.user_attrs for key in METRIC_KEYS)
        assert abs(trial.user_attrs[keys.SPARSITY] - trial.params["sparsity"]) < 0.01
        assert len(trial.intermediate_values) == trial.params["epochs"]
    assert stored_config(study).name == study_name
    assert study.user_attrs[keys.STUDY_DENSE]["val_accuracy"] > 0.5


def test_resume_continues_without_rerunning(storage_url, study_name, write_study) -> None:
    launch(write_study(tiny_study(study_name)), storage=storage_url, log=lambda _: None)
    before = {t.number: t.values for t in load_study(study_name, storage_url).trials}
    reopen(study_name, storage_url, n_trials=5).run(log=lambda _: None)
    after = load_study(study_name, storage_url).trials
    assert len(after) == 5 and count_finished(after) == 5
    assert {t.number: t.values for t in after if t.number in before} == before


def test_interrupted_trial_is_requeued_with_same_params(
    storage_url, study_name, write_study
) -> None:
    prepared = reopen_after_crash(storage_url, study_name, write_study)
    prepared.run(log=lambda _: None)
    trials = load_study(study_name, storage_url).trials
    lost = trials[0]
    assert lost.state == TrialState.FAIL
    retry = next(t for t in trials if t.user_attrs.get(keys.RETRY_OF) == lost.number)
    assert retry.state == TrialState.COMPLETE
    assert lost.params and lost.params.items() <= retry.params.items()
    assert count_finished(trials) == 3  # the budget counts the retry, not the lost attempt


def reopen_after_crash(storage_url, study_name, write_study):  # type: ignore[no-untyped-def]
    """A study whose first trial was running when its coordinator stopped (Ctrl-C)."""
    from automl_sparse.study import create

    prepared = create(write_study(tiny_study(study_name)), storage=storage_url)
    trial = prepared.study.ask({"sparsity": optuna.distributions.FloatDistribution(0.5, 0.8)})
    storage = prepared.study._storage
    storage.set_trial_user_attr(trial._trial_id, keys.FAIL_KIND, keys.FAIL_INTERRUPTED)
    storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
    return reopen(study_name, storage_url)


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.timeout(120)
def test_optuna_dashboard_reads_the_database(storage_url, study_name, write_study) -> None:
    from optuna_dashboard import wsgi

    launch(write_study(tiny_study(study_name)), storage=storage_url, log=lambda _: None)
    server = make_server("127.0.0.1", 0, wsgi(storage_url), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        body = urllib.request.urlopen(f"{base}/api/studies", timeout=30).read().decode()
        assert study_name in body
    finally:
        server.shutdown()
        server.server_close()
