"""Launch and resume studies; read a study's stored config. The CLI is a thin layer over this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import optuna

from automl_sparse import __version__
from automl_sparse._errors import UserError
from automl_sparse.config import StudyConfig, load_study_config
from automl_sparse.storage import StudyLease, keys, open_storage, redact
from automl_sparse.study._check import check_config, check_expanded_space
from automl_sparse.study._coordinator import Coordinator, rdb_engine

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
    """A study created in the database with its config, ready to run."""

    study: optuna.Study
    config: StudyConfig
    url: str = field(repr=False)

    def run(
        self, log: Callable[[str], None] = print, progress: ProgressFn | None = None
    ) -> optuna.Study:
        """Run the budget (dense network first); see :class:`Coordinator`."""
        return _run(self.study, self.config, self.url, log, progress)


def create(
    path: Path | str,
    *,
    storage: str | None = None,
    n_trials: int | None = None,
    executor: str | None = None,
    workers: int | None = None,
    address: str | None = None,
) -> PreparedStudy:
    """Validate ``path`` completely, then create its study in the database.

    Nothing is written to the database until the study file, its names and its data check out.
    """
    config, url = load_study_config(
        path,
        storage=storage,
        n_trials=n_trials,
        executor=executor,
        workers=workers,
        address=address,
    )
    try:
        check_config(config)
        check_expanded_space(config)  # loads the data: missing files are reported here too
    except UserError as error:
        raise UserError(f"{Path(path).resolve()}: {error}") from None
    rdb = _open(url, config)
    if config.name in optuna.get_all_study_names(rdb):
        raise UserError(
            f"study {config.name!r} already exists in {redact(url)}; continue it with "
            f"'automl-sparse resume {config.name}' or choose another name"
        )
    study = optuna.create_study(
        storage=rdb,
        study_name=config.name,
        directions=config.directions,
    )
    study.set_user_attr(keys.STUDY_CONFIG, config.model_dump(mode="json"))
    study.set_user_attr(keys.STUDY_VERSION, __version__)
    return PreparedStudy(study, config, url)


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


def reopen(name: str, url: str, *, n_trials: int | None = None) -> PreparedStudy:
    """Open the study ``name`` with its stored config, to continue it (``resume``)."""
    study = load_study(name, url)
    config = stored_config(study)
    if n_trials is not None:
        if n_trials < 1:
            raise UserError(f"--n-trials must be at least 1, but got {n_trials}")
        config = config.model_copy(
            update={"budget": config.budget.model_copy(update={"n_trials": n_trials})}
        )
    check_config(config)
    check_expanded_space(config)
    study = optuna.load_study(study_name=name, storage=_open(url, config))
    return PreparedStudy(study, config, url)


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
