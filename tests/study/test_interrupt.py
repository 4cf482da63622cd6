"""Ctrl-C during a launch with worker processes, then resume: the budget is finished exactly."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from automl_sparse.storage import keys
from automl_sparse.study import count_finished
from tests._studies import tiny_study

BUDGET = 6


_AS_IN_A_TERMINAL = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
"""A process started in the background of a shell without job control (CI runners) inherits
SIGINT ignored; the launch under test must see Ctrl-C as it would in a terminal."""


def _cli(*args: str) -> list[str]:
    main = "from automl_sparse.cli import main; main()"
    return [sys.executable, "-c", _AS_IN_A_TERMINAL + main, *args]


def _complete(url: str, name: str) -> dict[int, list[float]]:
    try:
        study = optuna.load_study(study_name=name, storage=url)
    except KeyError:
        return {}
    return {t.number: t.values for t in study.get_trials(states=(TrialState.COMPLETE,))}


@pytest.mark.timeout(300)
def test_ctrl_c_then_resume_keeps_completed_trials(write_study, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ctrl-c.db'}"
    space = {**tiny_study("x")["space"], "epochs": {"low": 3, "high": 4}}
    study = tiny_study(
        "ctrl-c",
        space=space,
        data={"name": "digits", "image_size": 28},
        executor={"name": "process", "workers": 2},
        budget={"n_trials": BUDGET},
    )
    launch = subprocess.Popen(
        _cli("launch", str(write_study(study)), "--storage", url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240
    while not _complete(url, "ctrl-c") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert launch.poll() is None, "the launch ended before it could be interrupted"
    launch.send_signal(signal.SIGINT)
    _, stderr = launch.communicate(timeout=120)
    finished = len(_complete(url, "ctrl-c"))
    assert launch.returncode == 130, f"exit {launch.returncode}, {finished} complete: {stderr}"
    assert "interrupted" in stderr and "Traceback" not in stderr

    before = _complete(url, "ctrl-c")
    trials = optuna.load_study(study_name="ctrl-c", storage=url).trials
    interrupted = [t for t in trials if t.user_attrs.get(keys.FAIL_KIND) == keys.FAIL_INTERRUPTED]
    assert interrupted and all(t.state == TrialState.FAIL for t in interrupted)
    assert not [t for t in trials if t.state == TrialState.RUNNING]

    resumed = subprocess.run(
        _cli("resume", "ctrl-c", "--storage", url), capture_output=True, text=True, timeout=240
    )
    assert resumed.returncode == 0, resumed.stderr
    trials = optuna.load_study(study_name="ctrl-c", storage=url).trials
    after = _complete(url, "ctrl-c")
    assert {n: after[n] for n in before} == before  # kept, not re-run
    assert count_finished(trials) == BUDGET
    assert sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials) == BUDGET
    for lost in interrupted:  # each interrupted trial ran again with its parameters
        retry = [t for t in trials if t.user_attrs.get(keys.RETRY_OF) == lost.number]
        assert len(retry) == 1 and lost.params.items() <= retry[0].params.items()
