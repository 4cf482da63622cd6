"""Launch and resume studies; read a study's stored config. The CLI is a thin layer over this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna

from automl_sparse import __version__
from automl_sparse._errors import UserError
from automl_sparse.config import (
    Fixed,
    SearchSpace,
    StudyConfig,
    carried_values,
    load_study_config,
    phase_config,
    with_n_trials,
)
from automl_sparse.storage import StudyLease, keys, open_storage, redact
from automl_sparse.study._check import check_config, check_expanded_space
from automl_sparse.study._coordinator import Coordinator, rdb_engine
from automl_sparse.study._summary import best_trials

ProgressFn = Callable[[int, int | None, str], None]


def _open(url: str, config: StudyConfig) -> optuna.storages.RDBStorage:
    return open_storage(
        url, heartbeat_interval=config.faults.heartbeat_s, grace_period=config.faults.grace_s
    )


def _run(
    study: optuna.Study,
    config: StudyConfig,
    url: str,
    log: Callable[[str], None],
    progress: ProgressFn | None,
) -> optuna.Study:
    coordinator = Coordinator(study, config, url, log=log, on_progress=progress)
    lease_s = config.faults.lease_s
    with StudyLease(
        rdb_engine(study), study.study_name, ttl_s=lease_s, renew_s=lease_s / 6
    ) as lease:
        coordinator.prepare()
        coordinator.run(lease)
    return study


@dataclass(frozen=True)
class PreparedStudy:
    """A study created in the database with its config, ready to run.

    For a phase of a multi-phase study, ``plan`` is the whole study file and ``phase`` this
    study's index in it: :meth:`run` goes on to the phases after it.
    """

    study: optuna.Study
    config: StudyConfig
    url: str = field(repr=False)
    plan: StudyConfig | None = None
    phase: int = 0

    def run(
        self,
        log: Callable[[str], None] = print,
        progress: ProgressFn | None = None,
        progress_for: Callable[[str], ProgressFn] | None = None,
    ) -> optuna.Study:
        """Run the budget (dense network first), then any later phases; see :class:`Coordinator`.

        ``progress_for(study_name)`` gives each phase its own progress callback.
        """
        prepared: PreparedStudy | None = self
        while prepared is not None:
            tracker = progress_for(prepared.config.name) if progress_for else progress
            study = _run(prepared.study, prepared.config, self.url, log, tracker)
            prepared = _next_phase(prepared, log)
        return study


def _open_checked(
    config: StudyConfig, url: str, names: list[str], attrs: dict[str, Any] | None = None
) -> optuna.Study:
    """Create the study of a checked ``config``; store its config and ``attrs`` with it.

    Refused when any of ``names`` (the study, or a plan's phase studies) already exists.
    """
    rdb = _open(url, config)
    existing = set(optuna.get_all_study_names(rdb))
    for name in names:
        if name in existing:
            raise UserError(
                f"study {name!r} already exists in {redact(url)}; continue it with "
                f"'automl-sparse resume {names[0]}' or choose another name"
            )
    study = optuna.create_study(storage=rdb, study_name=config.name, directions=config.directions)
    study.set_user_attr(keys.STUDY_CONFIG, config.model_dump(mode="json"))
    study.set_user_attr(keys.STUDY_VERSION, __version__)
    for key, value in (attrs or {}).items():
        study.set_user_attr(key, value)
    return study


def _phase_attrs(plan: StudyConfig, index: int) -> dict[str, Any]:
    """What a phase study records of its plan (``resume`` reads it)."""
    return {keys.STUDY_PLAN: plan.model_dump(mode="json"), keys.STUDY_PHASE: index}


def create(
    path: Path | str,
    *,
    storage: str | None = None,
    n_trials: int | None = None,
    executor: str | None = None,
    workers: int | None = None,
    address: str | None = None,
) -> PreparedStudy:
    """Validate ``path`` completely, then create its study (its first phase) in the database.

    Nothing is written to the database until the study file, its names and its data check out
    (every phase of a multi-phase file, with the parameters it will carry still searched).
    """
    config, url = load_study_config(
        path,
        storage=storage,
        n_trials=n_trials,
        executor=executor,
        workers=workers,
        address=address,
    )
    runnable = [phase_config(config, i) for i in range(len(config.phases))] or [config]
    try:
        for phase in runnable:
            check_config(phase)
            check_expanded_space(phase)  # loads the data: missing files are reported here too
    except UserError as error:
        raise UserError(f"{Path(path).resolve()}: {error}") from None
    if not config.phases:
        return PreparedStudy(_open_checked(config, url, [config.name]), config, url)
    names = [config.name, *(phase.name for phase in runnable)]
    study = _open_checked(runnable[0], url, names, _phase_attrs(config, 0))
    return PreparedStudy(study, runnable[0], url, plan=config, phase=0)


def _carry_from(study: optuna.Study, config: StudyConfig) -> tuple[int, dict[str, Any]]:
    """The best trial of a finished phase and its parameters, fixed values included."""
    best = best_trials(study)
    if not best:
        raise UserError(
            f"phase study {study.study_name!r} has no complete trial: nothing to carry forward"
        )
    first = config.objectives[0].resolved_direction
    trial = (max if first == "maximize" else min)(best, key=lambda t: t.values[0])
    assert isinstance(config.space, SearchSpace)
    fixed = {n: s.value for n, s in config.space.params.items() if isinstance(s, Fixed)}
    return trial.number, {**fixed, **trial.params}


def _next_phase(prepared: PreparedStudy, log: Callable[[str], None]) -> PreparedStudy | None:
    """Create the phase after ``prepared`` with what it carries; None after the last phase."""
    plan, index = prepared.plan, prepared.phase + 1
    if plan is None or index >= len(plan.phases):
        return None
    number, best = _carry_from(prepared.study, prepared.config)
    field_name = f"phases[{index}].carry"
    space = phase_config(plan, index - 1).space
    assert isinstance(space, SearchSpace)
    carried = carried_values(space, plan.phases[index].carry, best, field_name)
    config = phase_config(plan, index, carried)
    check_config(config)
    check_expanded_space(config)
    attrs = _phase_attrs(plan, index) | {
        keys.STUDY_CARRIED: {"from_trial": number, "params": carried}
    }
    study = _open_checked(config, prepared.url, [config.name], attrs)
    log(
        f"phase {plan.phases[index].name!r} starts with {len(carried)} parameter(s) carried "
        f"from trial {number} of {prepared.study.study_name!r}: {carried}"
    )
    return PreparedStudy(study, config, prepared.url, plan=plan, phase=index)


def launch(
    path: Path | str,
    *,
    storage: str | None = None,
    n_trials: int | None = None,
    executor: str | None = None,
    workers: int | None = None,
    log: Callable[[str], None] = print,
    progress: ProgressFn | None = None,
) -> optuna.Study:
    """Create the study of ``path`` (see :func:`create`) and run its budget."""
    prepared = create(path, storage=storage, n_trials=n_trials, executor=executor, workers=workers)
    return prepared.run(log, progress)


def load_study(name: str, url: str) -> optuna.Study:
    """Open the study ``name`` at ``url``, with a clear error listing the studies there."""
    rdb = open_storage(url)
    names = optuna.get_all_study_names(rdb)
    if name not in names:
        known = ", ".join(sorted(names)) or "none"
        raise UserError(f"no study {name!r} in {redact(url)}; studies there: {known}")
    return optuna.load_study(study_name=name, storage=rdb)


def stored_config(study: optuna.Study) -> StudyConfig:
    """The resolved config that ``launch`` stored with the study."""
    raw = study.user_attrs.get(keys.STUDY_CONFIG)
    if raw is None:
        raise UserError(f"study {study.study_name!r} was not created by automl-sparse (no config)")
    return StudyConfig.model_validate(raw)


def phase_studies(name: str, url: str) -> list[str]:
    """The phase studies of the multi-phase study ``name``, first phase first (may be empty)."""
    phases = []
    for summary in optuna.get_all_study_summaries(open_storage(url), include_best_trial=False):
        plan = summary.user_attrs.get(keys.STUDY_PLAN)
        if plan and plan.get("name") == name:
            phases.append((int(summary.user_attrs.get(keys.STUDY_PHASE, 0)), summary.study_name))
    return [study_name for _, study_name in sorted(phases)]


def reopen(name: str, url: str, *, n_trials: int | None = None) -> PreparedStudy:
    """Open the study ``name`` with its stored config, to continue it (``resume``).

    ``name`` may be a multi-phase study's own name: its newest phase is continued, then the
    phases after it are run.
    """
    phases = phase_studies(name, url)
    study = load_study(phases[-1] if phases else name, url)
    config = stored_config(study)
    raw_plan = study.user_attrs.get(keys.STUDY_PLAN)
    plan = StudyConfig.model_validate(raw_plan) if raw_plan else None
    if n_trials is not None:
        config = config.model_copy(update=with_n_trials(config, n_trials))
        plan = plan.model_copy(update=with_n_trials(plan, n_trials)) if plan else None
    check_config(config)
    check_expanded_space(config)
    study = optuna.load_study(study_name=study.study_name, storage=_open(url, config))
    phase = int(study.user_attrs.get(keys.STUDY_PHASE, 0))
    return PreparedStudy(study, config, url, plan=plan, phase=phase)


def resume(
    name: str,
    url: str,
    *,
    n_trials: int | None = None,
    log: Callable[[str], None] = print,
    progress: ProgressFn | None = None,
) -> optuna.Study:
    """Continue the study ``name`` from the database alone until its budget is spent."""
    return reopen(name, url, n_trials=n_trials).run(log, progress)
