"""The coordinator: asks the sampler, dispatches trials, re-queues lost ones, keeps the budget.

It never tells results: workers write them to the study database, which is the single source
of truth. The budget counts finished trials (complete, stopped, or failed for good). Only the
holder of the study's lease coordinates; a second coordinator is refused.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import optuna
import sqlalchemy
from optuna.trial import FrozenTrial, TrialState

from automl_sparse._errors import UserError
from automl_sparse.config import StudyConfig
from automl_sparse.execution import Executor, create_executor
from automl_sparse.pipeline import (
    TrialContext,
    dense_path,
    ensure_dense,
    get_pipeline,
    study_data,
    study_slots,
)
from automl_sparse.samplers import create_sampler
from automl_sparse.spaces import Param, expand, sample
from automl_sparse.storage import RetryingRDBStorage, StudyLease, keys
from automl_sparse.study._worker import TrialOutcome, TrialTask, run_trial

_POLL_S = 0.5
_SWEEP_S = 5.0
"""How often the whole study is re-read: stale trials reaped, the budget recounted."""


class Interrupted(Exception):
    """The user stopped the study (Ctrl-C); running trials were marked for re-running."""


def rdb_engine(study: optuna.Study) -> sqlalchemy.Engine:
    """The SQLAlchemy engine under a study's storage (Optuna wraps RDB storage in a cache)."""
    storage = study._storage
    return getattr(storage, "_backend", storage).engine  # type: ignore[no-any-return]


def _root(trial: FrozenTrial) -> int:
    return int(trial.user_attrs.get(keys.RETRY_OF, trial.number))


def _retries(trials: Iterable[FrozenTrial]) -> dict[int, int]:
    """Lineage root -> how many re-runs it has had."""
    counts: dict[int, int] = {}
    for trial in trials:
        if keys.RETRY_OF in trial.user_attrs:
            root = int(trial.user_attrs[keys.RETRY_OF])
            counts[root] = counts.get(root, 0) + 1
    return counts


def _latest_of_lineage(trials: list[FrozenTrial]) -> dict[int, int]:
    latest: dict[int, int] = {}
    for trial in trials:
        root = _root(trial)
        latest[root] = max(latest.get(root, -1), trial.number)
    return latest


def count_finished(trials: list[FrozenTrial], max_retries: float = math.inf) -> int:
    """Trials that count against the budget: complete, stopped, or failed for good.

    A failed trial is final when the pipeline raised, or when it was lost and its lineage has
    used ``max_retries`` re-runs; an interrupted or re-queued one is not (its re-run counts).
    """
    latest = _latest_of_lineage(trials)
    retries = _retries(trials)
    finished = 0
    for trial in trials:
        if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
            finished += 1
        elif trial.state == TrialState.FAIL and latest[_root(trial)] == trial.number:
            finished += not _retryable(trial) or _out_of_retries(trial, retries, max_retries)
    return finished


def _out_of_retries(trial: FrozenTrial, retries: dict[int, int], max_retries: float) -> bool:
    lost = trial.user_attrs.get(keys.FAIL_KIND, keys.FAIL_LOST) == keys.FAIL_LOST
    return lost and retries.get(_root(trial), 0) >= max_retries


def _retryable(trial: FrozenTrial) -> bool:
    return trial.user_attrs.get(keys.FAIL_KIND, keys.FAIL_LOST) != keys.FAIL_ERROR


class _ParamWrites:
    """Stands in for an asked trial's storage while its space is sampled.

    Optuna writes each suggested parameter in its own transaction; this keeps them, and
    :func:`_sample` writes them all in one (one commit per trial instead of one per parameter).
    Everything else goes to the real storage.
    """

    def __init__(self, storage: optuna.storages.BaseStorage) -> None:
        self._storage = storage
        self.params: list[tuple[str, float, optuna.distributions.BaseDistribution]] = []

    def set_trial_param(
        self,
        _trial_id: int,
        name: str,
        value: float,
        distribution: optuna.distributions.BaseDistribution,
    ) -> None:
        self.params.append((name, value, distribution))

    def __getattr__(self, name: str) -> object:
        return getattr(self._storage, name)


def _sample(trial: optuna.Trial, params: list[Param]) -> dict[str, object]:
    """Sample the space on an asked trial, storing its parameters in one transaction."""
    storage = trial.storage
    rdb = getattr(storage, "_backend", storage)
    if not isinstance(rdb, RetryingRDBStorage):
        return sample(trial, params)
    writes = _ParamWrites(storage)
    trial.storage = writes  # type: ignore[assignment]
    try:
        values = sample(trial, params)
    finally:
        trial.storage = storage
    rdb.set_trial_params(trial._trial_id, writes.params)
    return values


@dataclass
class _Running:
    trial_id: int
    number: int


class Coordinator:
    """Runs a study's budget with an executor; see the module docstring."""

    def __init__(
        self,
        study: optuna.Study,
        config: StudyConfig,
        storage_url: str,
        *,
        log: Callable[[str], None] = print,
        on_progress: Callable[[int, int | None, str], None] | None = None,
    ) -> None:
        self.study = study
        self.config = config
        self._url = storage_url
        self._log = log
        self._on_progress = on_progress or (lambda *_: None)
        self._running: dict[Future[TrialOutcome], _Running] = {}
        self._starting: _Running | None = None  # being submitted (inline: running)
        self._asking: set[Future[tuple[_Running, TrialTask]]] = set()
        self._orphans: list[_Running] = []
        self._params: list[Param] = []
        self._finished = 0
        self._max_retries = config.faults.max_retries

    # --- preparation ------------------------------------------------------------------------

    def prepare(self) -> None:
        """Train (or find) the dense network, expand the space for the model's slots."""
        if get_pipeline(self.config.pipeline).needs_dense:
            dense = ensure_dense(self.config, log=self._log)
            self.study.set_user_attr(
                keys.STUDY_DENSE,
                {
                    "key": dense.key,
                    "val_accuracy": dense.val_accuracy,
                    "test_accuracy": dense.test_accuracy,
                },
            )
        slots = study_slots(self.config, study_data(self.config))
        assert not isinstance(self.config.space, str), "the loader inlines space files"
        self._params = expand(self.config.space, slots)
        self.study.sampler = self._sampler()

    def _sampler(self) -> optuna.samplers.BaseSampler:
        # Offset the seed by the trials so far, so that a resumed study does not replay its start.
        spec = self.config.sampler
        return create_sampler(
            spec.name,
            seed=self.config.seed + len(self.study.get_trials(deepcopy=False)),
            n_objectives=len(self.config.objectives),
            space=self._params,
            **spec.options,
        )

    # --- the budget -------------------------------------------------------------------------

    def _sweep(self) -> None:
        """Reap stale trials, re-queue what must re-run, recount the budget from the database."""
        optuna.storages.fail_stale_trials(self.study)
        self._reap_never_started()
        trials = self.study.get_trials(deepcopy=False)
        self._requeue(trials)
        self._finished = count_finished(self.study.get_trials(deepcopy=False), self._max_retries)

    def _best(self) -> str:
        """Best so far for the progress line (re-read from the database at every sweep)."""
        if not self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            return "-"
        if len(self.study.directions) > 1:
            return f"{len(self.study.best_trials)} on the Pareto front"
        return f"{self.study.best_value:.4f}"

    def _reap_never_started(self) -> None:
        """Fail RUNNING trials that no worker ever took up (their coordinator died first).

        A worker records itself (``worker``) and heartbeats as it starts; trials it never
        reached have neither, so Optuna's heartbeat reaper cannot see them. Only this
        coordinator (the lease holder) asks trials, so any such trial not its own is lost.
        """
        ours = {r.trial_id for r in self._running.values()}
        limit = datetime.datetime.now() - datetime.timedelta(seconds=self.config.faults.grace_s)
        storage = self.study._storage
        for trial in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            started = trial.datetime_start
            if trial._trial_id in ours or keys.WORKER in trial.user_attrs or started is None:
                continue
            if started < limit:
                storage.set_trial_user_attr(trial._trial_id, keys.FAIL_KIND, keys.FAIL_LOST)
                storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)

    # --- dispatch ---------------------------------------------------------------------------

    def _study_dir(self, kind: str) -> Path:
        return Path(self.config.artifacts or "artifacts") / kind / self.study.study_name

    def _ask(self) -> tuple[_Running, TrialTask]:
        """Ask the sampler for a trial and make its task (runs in an asker thread).

        Asking is most of the coordinator's work per trial; ``capacity`` asker threads do it
        side by side, as ``study.optimize(n_jobs=...)`` does, while trials run.
        """
        trial = self.study.ask()
        asked = _Running(trial._trial_id, trial.number)
        try:
            values = _sample(trial, self._params)  # the worker stores them as ``params``
            root = int(trial.user_attrs.get(keys.RETRY_OF, trial.number))
        except BaseException:
            self._orphans.append(asked)  # asked but never dispatched: fail it for a re-run
            raise
        context = TrialContext(
            self.config,
            values,
            self.config.seed + root,
            dense_path(self.config) if get_pipeline(self.config.pipeline).needs_dense else None,
            checkpoint=self._study_dir("checkpoints") / f"trial-{root}.pt",
            work_dir=self._study_dir("trials") / str(trial.number),
        )
        task = TrialTask(self._url, self.study.study_name, trial._trial_id, trial.number, context)
        return asked, task

    def _dispatch(self, executor: Executor, asked: Future[tuple[_Running, TrialTask]]) -> None:
        running, task = asked.result()
        self._starting = running  # inline executors run the trial inside submit
        self._running[executor.submit(run_trial, task)] = running
        self._starting = None

    def _collect(self, future: Future[TrialOutcome]) -> bool:
        """Take a finished future; True when its trial counts against the budget."""
        running = self._running.pop(future)
        error = future.exception()
        if error is None:
            return True  # the worker wrote a final state: complete, stopped or failed for good
        # The worker itself broke (killed, out of memory): the trial is lost and re-runs.
        storage = self.study._storage
        if storage.get_trial(running.trial_id).state == TrialState.RUNNING:
            storage.set_trial_user_attr(running.trial_id, keys.FAIL_KIND, keys.FAIL_LOST)
            storage.set_trial_user_attr(running.trial_id, keys.FAIL_REASON, repr(error))
            storage.set_trial_state_values(running.trial_id, TrialState.FAIL)
        self._requeue(self.study.get_trials(deepcopy=False))
        return False

    # --- faults -----------------------------------------------------------------------------

    def _requeue(self, trials: list[FrozenTrial]) -> None:
        """Re-queue failed trials that were interrupted, or lost within ``max_retries``."""
        retries = _retries(trials)
        latest = _latest_of_lineage(trials)
        for trial in trials:
            root = _root(trial)
            if trial.state != TrialState.FAIL or latest[root] != trial.number:
                continue
            kind = trial.user_attrs.get(keys.FAIL_KIND, keys.FAIL_LOST)
            if not _retryable(trial) or _out_of_retries(trial, retries, self._max_retries):
                continue
            self.study.enqueue_trial(trial.params, user_attrs={keys.RETRY_OF: root})
            self._log(f"re-queued trial {trial.number} ({kind}) as a retry of trial {root}")

    def requeue_failed(self) -> None:
        """Reap stale trials and re-queue those that must re-run (see :meth:`_requeue`)."""
        self._sweep()

    def _interrupt(self) -> None:
        storage = self.study._storage
        starting = [self._starting] if self._starting is not None else []
        for asked in self._asking:
            with contextlib.suppress(Exception):
                starting.append(asked.result()[0])
        self._asking.clear()
        for running in [*self._running.values(), *starting, *self._orphans]:
            if storage.get_trial(running.trial_id).state == TrialState.RUNNING:
                storage.set_trial_user_attr(running.trial_id, keys.FAIL_KIND, keys.FAIL_INTERRUPTED)
                storage.set_trial_state_values(running.trial_id, TrialState.FAIL)
        self._running.clear()
        self._sweep()

    # --- the loop ---------------------------------------------------------------------------

    def _executor(self) -> Executor:
        spec = self.config.executor
        return create_executor(
            spec.name,
            workers=spec.workers,
            threads=spec.threads_per_trial,
            cpus_per_trial=spec.cpus_per_trial,
            gpus_per_trial=spec.gpus_per_trial,
            address=spec.address,
        )

    def run(self, lease: StudyLease | None = None) -> None:
        """Run until the budget is spent; on Ctrl-C mark running trials and raise Interrupted.

        With ``lease``, stop as soon as another coordinator has taken the study over.
        """
        executor = self._executor()
        askers = ThreadPoolExecutor(max_workers=executor.capacity, thread_name_prefix="ask")
        try:
            self._loop(executor, askers, lease)
        except KeyboardInterrupt:
            executor.shutdown(cancel=True)
            self._interrupt()
            raise Interrupted from None
        finally:
            askers.shutdown(wait=True)
        executor.shutdown()

    def _loop(
        self, executor: Executor, askers: ThreadPoolExecutor, lease: StudyLease | None
    ) -> None:
        budget = self.config.budget
        target = budget.n_trials if budget.n_trials is not None else math.inf
        deadline = time.monotonic() + budget.timeout if budget.timeout else math.inf
        self._sweep()
        swept = time.monotonic()
        changed, best = True, self._best()
        while True:
            if lease is not None and lease.lost.is_set():
                raise UserError(f"the lease of study {self.study.study_name!r} was taken over")
            if changed:
                self._on_progress(self._finished, budget.n_trials, best)
            busy = len(self._running) + len(self._asking)
            while busy < executor.capacity and self._finished + busy < target:
                if time.monotonic() >= deadline:
                    break
                self._asking.add(askers.submit(self._ask))
                busy += 1
            if not busy:
                self._sweep()  # a last look: lost trials may have been re-queued
                if self._finished >= target or time.monotonic() >= deadline:
                    break
                changed, best = True, self._best()
                continue
            pending = [*self._running, *self._asking]
            done, _ = wait(pending, timeout=_POLL_S, return_when=FIRST_COMPLETED)
            changed = False
            for future in done:
                if future in self._asking:
                    self._asking.discard(future)  # type: ignore[arg-type]
                    self._dispatch(executor, future)  # type: ignore[arg-type]
                else:
                    self._finished += self._collect(future)  # type: ignore[arg-type]
                    changed = True
            if time.monotonic() - swept > _SWEEP_S:
                self._sweep()
                swept, changed, best = time.monotonic(), True, self._best()
        self._on_progress(self._finished, budget.n_trials, self._best())
