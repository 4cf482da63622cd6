"""The coordinator: asks the sampler, dispatches trials, re-queues lost ones, keeps the budget.

It never tells results: workers write them to the study database, which is the single source
of truth. The budget counts finished trials (complete, stopped, or failed for good).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from automl_sparse.activations import activation_slots
from automl_sparse.config import StudyConfig
from automl_sparse.execution import Executor, create_executor
from automl_sparse.pipeline import TrialContext, dense_path, ensure_dense, study_data, study_model
from automl_sparse.samplers import create_sampler
from automl_sparse.spaces import Param, expand, sample
from automl_sparse.storage import keys
from automl_sparse.study._worker import TrialOutcome, TrialTask, run_trial

_POLL_S = 1.0


class Interrupted(Exception):
    """The user stopped the study (Ctrl-C); running trials were marked for re-running."""


def _retried_numbers(trials: Iterable[FrozenTrial]) -> dict[int, int]:
    """Lineage root -> how many retries it has had."""
    counts: dict[int, int] = {}
    for trial in trials:
        root = trial.user_attrs.get(keys.RETRY_OF)
        if root is not None:
            counts[root] = counts.get(root, 0) + 1
    return counts


def _root(trial: FrozenTrial) -> int:
    return int(trial.user_attrs.get(keys.RETRY_OF, trial.number))


def count_finished(trials: list[FrozenTrial]) -> int:
    """Trials that count against the budget: complete, stopped, or failed and not re-queued."""
    retried_roots = set(_retried_numbers(trials))
    finished = 0
    for trial in trials:
        if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
            finished += 1
        elif trial.state == TrialState.FAIL:
            finished += not _superseded(trial, trials, retried_roots)
    return finished


def _superseded(trial: FrozenTrial, trials: list[FrozenTrial], roots: set[int]) -> bool:
    """Whether a later trial of the same lineage repeats this failed one."""
    root = _root(trial)
    return root in roots and any(_root(t) == root and t.number > trial.number for t in trials)


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
        self._starting: _Running | None = None  # asked, being submitted (inline: running)
        self._params: list[Param] = []

    # --- preparation ------------------------------------------------------------------------

    def prepare(self) -> None:
        """Train (or find) the dense network, expand the space for the model's slots."""
        dense = ensure_dense(self.config, log=self._log)
        self.study.set_user_attr(
            keys.STUDY_DENSE,
            {
                "key": dense.key,
                "val_accuracy": dense.val_accuracy,
                "test_accuracy": dense.test_accuracy,
            },
        )
        data = study_data(self.config)
        slots = list(
            activation_slots(study_model(self.config, data, self.config.pretrain.activation))
        )
        assert not isinstance(self.config.space, str)
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

    def _finished(self) -> int:
        return count_finished(self.study.get_trials(deepcopy=False))

    def _best(self) -> str:
        trials = self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if not trials:
            return "-"
        if len(self.study.directions) > 1:
            return f"{len(self.study.best_trials)} on the Pareto front"
        return f"{self.study.best_value:.4f}"

    # --- dispatch ---------------------------------------------------------------------------

    def _study_dir(self, kind: str) -> Path:
        return Path(self.config.artifacts or "artifacts") / kind / self.study.study_name

    def _submit(self, executor: Executor) -> None:
        trial = self.study.ask()
        values = sample(trial, self._params)
        root = int(trial.user_attrs.get(keys.RETRY_OF, trial.number))
        seed = self.config.seed + root
        trial.set_user_attr(keys.PARAMS, values)
        trial.set_user_attr(keys.SEED, seed)
        context = TrialContext(
            self.config,
            values,
            seed,
            dense_path(self.config),
            checkpoint=self._study_dir("checkpoints") / f"trial-{root}.pt",
            work_dir=self._study_dir("trials") / str(trial.number),
        )
        task = TrialTask(self._url, self.study.study_name, trial._trial_id, trial.number, context)
        self._starting = _Running(trial._trial_id, trial.number)
        self._running[executor.submit(run_trial, task)] = self._starting
        self._starting = None

    def _collect(self, future: Future[TrialOutcome]) -> None:
        running = self._running.pop(future)
        error = future.exception()
        if error is None:
            return
        # The worker itself broke (not the pipeline, whose errors it records): record it here.
        storage = self.study._storage
        if storage.get_trial(running.trial_id).state == TrialState.RUNNING:
            storage.set_trial_user_attr(running.trial_id, keys.FAIL_KIND, keys.FAIL_LOST)
            storage.set_trial_user_attr(running.trial_id, keys.FAIL_REASON, repr(error))
            storage.set_trial_state_values(running.trial_id, TrialState.FAIL)

    # --- faults -----------------------------------------------------------------------------

    def requeue_failed(self) -> None:
        """Re-queue failed trials that were interrupted, or lost within ``max_retries``."""
        optuna.storages.fail_stale_trials(self.study)
        trials = self.study.get_trials(deepcopy=False)
        retries = _retried_numbers(trials)
        requeued = {_root(t) for t in trials if t.state in (TrialState.WAITING, TrialState.RUNNING)}
        for trial in trials:
            if trial.state != TrialState.FAIL or _superseded(trial, trials, set(retries)):
                continue
            kind = trial.user_attrs.get(keys.FAIL_KIND, keys.FAIL_LOST)
            root = _root(trial)
            if kind == keys.FAIL_ERROR or root in requeued:
                continue
            if kind == keys.FAIL_LOST and retries.get(root, 0) >= self.config.max_retries:
                continue
            self.study.enqueue_trial(trial.params, user_attrs={keys.RETRY_OF: root})
            requeued.add(root)
            self._log(f"re-queued trial {trial.number} ({kind}) as a retry of trial {root}")

    def _interrupt(self) -> None:
        storage = self.study._storage
        starting = [self._starting] if self._starting is not None else []
        for running in [*self._running.values(), *starting]:
            if storage.get_trial(running.trial_id).state == TrialState.RUNNING:
                storage.set_trial_user_attr(running.trial_id, keys.FAIL_KIND, keys.FAIL_INTERRUPTED)
                storage.set_trial_state_values(running.trial_id, TrialState.FAIL)
        self._running.clear()
        self.requeue_failed()

    # --- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        """Run until the budget is spent; on Ctrl-C mark running trials and raise Interrupted."""
        budget = self.config.budget
        target = budget.n_trials if budget.n_trials is not None else math.inf
        deadline = time.monotonic() + budget.timeout if budget.timeout else math.inf
        spec = self.config.executor
        executor = create_executor(spec.name, workers=spec.workers, threads=spec.threads_per_trial)
        try:
            self.requeue_failed()
            while True:
                finished = self._finished()
                self._on_progress(finished, budget.n_trials, self._best())
                while (
                    len(self._running) < executor.capacity
                    and finished + len(self._running) < target
                    and time.monotonic() < deadline
                ):
                    self._submit(executor)
                if not self._running:
                    break
                done, _ = wait(list(self._running), timeout=_POLL_S, return_when=FIRST_COMPLETED)
                for future in done:
                    self._collect(future)
                self.requeue_failed()
        except KeyboardInterrupt:
            executor.shutdown(cancel=True)
            self._interrupt()
            raise Interrupted from None
        executor.shutdown()
        self._on_progress(self._finished(), budget.n_trials, self._best())


def running_params(trial: FrozenTrial) -> dict[str, Any]:
    """Every parameter of a trial, searched and fixed (as recorded when it was asked)."""
    return dict(trial.user_attrs.get(keys.PARAMS, trial.params))
