"""The worker side of a trial: run the pipeline and write everything to the study database.

Runs wherever the executor puts it (this process, a local process, a Ray worker). It writes
heartbeats, one intermediate value per epoch, metrics as user attributes and the final state;
it decides early stopping itself by asking the study's stopper after each epoch.

Its writes are few, so that short trials are cheap: one transaction when it takes the trial up
(``worker``, ``params``, the first heartbeat), one per epoch, one for metrics known before the
end, and one at the end (metrics, values and final state together).
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import socket
import traceback
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.artifacts import upload_artifact
from optuna.trial import TrialState

from automl_sparse.config import EPOCH_METRICS, StoppingSpec
from automl_sparse.pipeline import TrialContext, get_pipeline
from automl_sparse.stopping import create_stopper
from automl_sparse.storage import (
    RetryingRDBStorage,
    artifact_store,
    heartbeat,
    keys,
    open_storage,
)
from automl_sparse.training import EpochResult, StopTraining


@dataclass(frozen=True)
class TrialTask:
    """A trial on its way to a worker. The storage URL may hold a password: never printed."""

    storage_url: str = field(repr=False)
    study_name: str
    trial_id: int
    trial_number: int
    context: TrialContext


@dataclass(frozen=True)
class TrialOutcome:
    """How a trial ended, for the coordinator's progress display."""

    number: int
    state: str
    values: list[float] | None = None
    reason: str | None = None


class StudyReporter:
    """Writes each epoch's value to the trial and raises StopTraining when the stopper says so.

    Values go straight to storage (Optuna's ``trial.report`` refuses multi-objective studies),
    then the study's stopper judges the trial as ``trial.should_prune`` would.
    """

    def __init__(
        self, study: optuna.Study, storage: RetryingRDBStorage, trial_id: int, metric: str
    ) -> None:
        self._study = study
        self._storage = storage
        self._trial_id = trial_id
        self._metric = metric
        self._judged = not isinstance(study.pruner, optuna.pruners.NopPruner)

    def report(self, result: EpochResult) -> None:
        value = float(getattr(result, self._metric))
        self._storage.set_trial_intermediate_value(self._trial_id, result.epoch, value)
        if not self._judged:  # the "none" stopper: no need to read the trial back
            return
        if self._study.pruner.prune(self._study, self._storage.get_trial(self._trial_id)):
            raise StopTraining(f"stopped after epoch {result.epoch}")

    def record(self, metrics: dict[str, Any]) -> None:
        """Write metrics known before the end (sparsity, FLOPs after pruning) to the trial."""
        self._storage.set_trial_user_attrs(self._trial_id, metrics)


def _complete(
    storage: RetryingRDBStorage, task: TrialTask, metrics: dict[str, Any], values: list[float]
) -> bool:
    """Record metrics, values and state at once; False when the trial had ended (reaped)."""
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"objective values must be finite, but got {values}")
    return storage.finish_trial(task.trial_id, TrialState.COMPLETE, values, metrics)


def _fail(storage: RetryingRDBStorage, task: TrialTask, error: BaseException) -> TrialOutcome:
    reason = f"{type(error).__name__}: {error}"
    attrs = {
        keys.FAIL_KIND: keys.FAIL_ERROR,
        keys.FAIL_REASON: reason,
        "traceback": "".join(traceback.format_exception(error))[-4000:],
    }
    storage.finish_trial(task.trial_id, TrialState.FAIL, attrs=attrs)
    return TrialOutcome(task.trial_number, TrialState.FAIL.name, reason=reason)


def _attach_files(storage: optuna.storages.BaseStorage, task: TrialTask) -> None:
    """Upload the files the pipeline wrote (plots) as Optuna artifacts of the trial."""
    work_dir = task.context.work_dir
    if work_dir is None or not work_dir.is_dir():
        return
    store = artifact_store(task.context.config.artifacts or "artifacts")
    trial = storage.get_trial(task.trial_id)
    for path in sorted(work_dir.iterdir()):
        mimetype = "image/png" if path.suffix == ".png" else None
        upload_artifact(
            artifact_store=store,
            file_path=str(path),
            study_or_trial=trial,
            storage=storage,
            mimetype=mimetype,
        )
    shutil.rmtree(work_dir, ignore_errors=True)


@functools.lru_cache(maxsize=4)
def _storage(url: str, heartbeat_s: int, grace_s: int) -> RetryingRDBStorage:
    """One storage (engine, connection pool) per worker process, reused by its trials."""
    storage = open_storage(url, heartbeat_interval=heartbeat_s, grace_period=grace_s)
    assert isinstance(storage, RetryingRDBStorage)
    return storage


@functools.lru_cache(maxsize=8)
def _study(
    storage: optuna.storages.RDBStorage, name: str, stopping: str, n_objectives: int
) -> optuna.Study:
    """The study as this worker sees it: its stopper judges trials, its sampler is never used."""
    spec = StoppingSpec.model_validate_json(stopping)
    return optuna.load_study(
        study_name=name,
        storage=storage,
        sampler=optuna.samplers.RandomSampler(),
        pruner=create_stopper(spec.name, n_objectives, **spec.options),
    )


def run_trial(task: TrialTask) -> TrialOutcome:
    """Run one trial to a final state in the study database and say how it ended."""
    config = task.context.config
    storage = _storage(task.storage_url, config.faults.heartbeat_s, config.faults.grace_s)
    study = _study(
        storage, task.study_name, config.stopping.model_dump_json(), len(config.objectives)
    )
    first = config.objectives[0].metric
    reporter = StudyReporter(
        study, storage, task.trial_id, first if first in EPOCH_METRICS else "val_accuracy"
    )
    pipeline = get_pipeline(config.pipeline)
    storage.begin_trial(
        task.trial_id,
        {
            keys.WORKER: f"{socket.gethostname()}:{os.getpid()}",
            keys.PARAMS: dict(task.context.params),
        },
    )
    with heartbeat(storage, task.trial_id, first_now=False):
        try:
            metrics = pipeline.run(task.context, reporter)
        except StopTraining as stop:
            study.tell(task.trial_number, state=TrialState.PRUNED, skip_if_finished=True)
            outcome = TrialOutcome(task.trial_number, TrialState.PRUNED.name, reason=str(stop))
        except Exception as error:  # a failing trial is data, not a crash of the study
            outcome = _fail(storage, task, error)
        else:
            values = [float(metrics[o.metric]) for o in config.objectives]
            _attach_files(storage, task)
            _complete(storage, task, metrics, values)
            outcome = TrialOutcome(task.trial_number, TrialState.COMPLETE.name, values=values)
    if task.context.checkpoint is not None:  # only an interrupted or lost trial resumes from it
        task.context.checkpoint.unlink(missing_ok=True)
    return outcome
