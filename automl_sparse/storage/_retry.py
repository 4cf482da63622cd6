"""Optuna's RDB storage, retrying with backoff while the database is briefly unreachable.

A PostgreSQL restart mid-study must lose nothing: every storage call that fails because the
connection broke is repeated (exponential backoff, bounded in total time), in workers and in
the coordinator alike. Errors of the data itself (integrity, bad values) are not retried.

A write whose commit reached the server just before the connection broke may be repeated;
Optuna's writes are idempotent except ``create_new_trial`` (a rare extra WAITING-free trial
row, which the coordinator's budget accounting ignores because it is never asked).
"""

from __future__ import annotations

import datetime
import functools
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import optuna
import sqlalchemy as sa
import sqlalchemy.exc
from optuna.distributions import (
    BaseDistribution,
    check_distribution_compatibility,
    distribution_to_json,
    json_to_distribution,
)
from optuna.exceptions import StorageInternalError
from optuna.storages._rdb import models
from optuna.storages._rdb.storage import _create_scoped_session
from optuna.trial import TrialState
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session

_log = logging.getLogger(__name__)

RETRY_FOR_S = 120.0
"""How long a call keeps retrying before the error is raised."""
_FIRST_WAIT_S = 0.2
_MAX_WAIT_S = 5.0

_RETRIED = (
    "_get_stale_trial_ids",
    "create_new_study",
    "create_new_trial",
    "delete_study",
    "get_all_studies",
    "get_all_trials",
    "get_best_trial",
    "get_n_trials",
    "get_study_directions",
    "get_study_id_from_name",
    "get_study_name_from_id",
    "get_study_system_attrs",
    "get_study_user_attrs",
    "get_trial",
    "get_trial_id_from_study_id_trial_number",
    "get_trial_number_from_id",
    "get_trial_param",
    "get_trial_params",
    "get_trial_system_attrs",
    "get_trial_user_attrs",
    "record_heartbeat",
    "set_study_system_attr",
    "set_study_user_attr",
    "set_trial_intermediate_value",
    "set_trial_param",
    "set_trial_state_values",
    "set_trial_system_attr",
    "set_trial_user_attr",
    "check_trial_is_updatable",
    "set_trial_user_attrs",
    "begin_trial",
    "finish_trial",
    "set_trial_params",
)

F = TypeVar("F", bound=Callable[..., Any])


def is_connection_error(error: BaseException) -> bool:
    """Whether ``error`` means the database could not be reached (worth retrying)."""
    cause = error.__cause__ if isinstance(error, StorageInternalError) else error
    if isinstance(cause, sqlalchemy.exc.IntegrityError):
        return False
    if isinstance(cause, sqlalchemy.exc.DBAPIError) and cause.connection_invalidated:
        return True
    return isinstance(cause, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError)


def _retrying(method: F) -> F:
    @functools.wraps(method)
    def call(self: RetryingRDBStorage, *args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + RETRY_FOR_S
        wait = _FIRST_WAIT_S
        while True:
            try:
                return method(self, *args, **kwargs)
            except (StorageInternalError, sqlalchemy.exc.SQLAlchemyError) as error:
                if not is_connection_error(error) or time.monotonic() + wait > deadline:
                    raise
                _log.warning(
                    "database unreachable in %s; retrying in %.1f s", method.__name__, wait
                )
                self.engine.dispose()  # drop broken pooled connections
                time.sleep(wait)
                wait = min(2 * wait, _MAX_WAIT_S)

    return call  # type: ignore[return-value]


class RetryingRDBStorage(optuna.storages.RDBStorage):
    """An :class:`optuna.storages.RDBStorage` whose calls survive a brief database outage.

    It adds the writes of a worker's trial as single transactions (one commit each, where
    Optuna's storage API makes one per attribute or parameter): :meth:`set_trial_params` when
    the coordinator has sampled a trial, :meth:`begin_trial` when a worker takes it up,
    :meth:`finish_trial` when it ends, :meth:`set_trial_user_attrs` in between. They use
    RDBStorage's models and helpers (Optuna 5 internals; the version is pinned below 6).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._distributions: dict[tuple[int, str], BaseDistribution] = {}
        """(study id, parameter name) -> the distribution the study uses for it."""

    def set_trial_params(
        self, trial_id: int, params: Sequence[tuple[str, float, BaseDistribution]]
    ) -> None:
        """Set parameters (name, internal value, distribution) of a running trial at once.

        Checks each distribution against the one the study already uses for that name, as
        ``set_trial_param`` does; a parameter the trial already has is left as it is.
        """
        if not params:
            return
        with _create_scoped_session(self.scoped_session, True) as session:
            study_id = self._check_updatable(session, trial_id)
            for name, _, distribution in params:
                previous = self._study_distribution(session, study_id, name)
                if previous is not None:
                    check_distribution_compatibility(previous, distribution)
            rows = [
                {
                    "trial_id": trial_id,
                    "param_name": name,
                    "param_value": value,
                    "distribution_json": distribution_to_json(distribution),
                }
                for name, value, distribution in params
            ]
            session.execute(sa.insert(models.TrialParamModel).values(rows))

    def _study_distribution(
        self, session: Session, study_id: int, name: str
    ) -> BaseDistribution | None:
        """The distribution of parameter ``name`` in the study (remembered once seen)."""
        known = self._distributions
        if (study_id, name) in known:
            return known[(study_id, name)]
        row = (
            session.query(models.TrialParamModel.distribution_json)
            .join(models.TrialModel)
            .filter(models.TrialModel.study_id == study_id)
            .filter(models.TrialParamModel.param_name == name)
            .first()
        )
        if row is None:
            return None
        known[(study_id, name)] = json_to_distribution(row.distribution_json)
        return known[(study_id, name)]

    def set_trial_user_attrs(self, trial_id: int, attrs: Mapping[str, Any]) -> None:
        """Set several user attributes of a running trial in one transaction."""
        with _create_scoped_session(self.scoped_session, True) as session:
            self._check_updatable(session, trial_id)
            self._upsert_user_attrs(session, trial_id, attrs)

    def begin_trial(self, trial_id: int, attrs: Mapping[str, Any]) -> None:
        """A worker takes the trial up: its user attributes and first heartbeat, one commit."""
        with _create_scoped_session(self.scoped_session, True) as session:
            self._check_updatable(session, trial_id)
            self._upsert_user_attrs(session, trial_id, attrs)
            self._beat(session, trial_id)

    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        attrs: Mapping[str, Any] | None = None,
    ) -> bool:
        """End a trial: user attributes, values and final state in one transaction.

        Returns False, and writes nothing, when the trial had already ended (reaped as lost
        meanwhile, or a retried call whose first commit went through), as
        ``set_trial_state_values`` raising UpdateFinishedTrialError would have.
        """
        assert state.is_finished(), f"finish_trial needs a final state, but got {state=}."
        model = models.TrialModel
        try:
            with _create_scoped_session(self.scoped_session) as session:
                # One conditional UPDATE decides, atomically on every database (SQLite has no
                # SELECT ... FOR UPDATE), whether this call ends the trial.
                ended = session.execute(
                    sa.update(model)
                    .where(model.trial_id == trial_id)
                    .where(model.state.in_((TrialState.RUNNING, TrialState.WAITING)))
                    .values(state=state, datetime_complete=datetime.datetime.now()),
                    execution_options={"synchronize_session": False},
                )
                if not ended.rowcount:
                    return False
                self._upsert_user_attrs(session, trial_id, attrs or {})
                self._insert_values(session, trial_id, values or ())
        except sqlalchemy.exc.IntegrityError:
            return False
        return True

    def _insert_values(self, session: Session, trial_id: int, values: Sequence[float]) -> None:
        if not values:
            return
        model = models.TrialValueModel
        rows = []
        for objective, value in enumerate(values):
            stored, kind = model.value_to_stored_repr(value)
            rows.append(
                {"trial_id": trial_id, "objective": objective, "value": stored, "value_type": kind}
            )
        dialect = self._on_conflict_dialect()
        if dialect is None:  # the rare database without ON CONFLICT: Optuna's own way
            trial = models.TrialModel.find_or_raise_by_id(trial_id, session)
            for objective, value in enumerate(values):
                self._set_trial_value_without_commit(session, trial, objective, value)
            return
        insert = dialect.insert(model).values(rows)
        session.execute(
            insert.on_conflict_do_update(
                index_elements=[model.trial_id, model.objective],
                set_={"value": insert.excluded.value, "value_type": insert.excluded.value_type},
            )
        )

    def _check_updatable(self, session: Session, trial_id: int) -> int:
        """Raise unless the trial exists and has not ended; its study's id."""
        model = models.TrialModel
        row = session.execute(
            sa.select(model.state, model.study_id).where(model.trial_id == trial_id)
        ).one_or_none()
        if row is None:
            raise KeyError(models.NOT_FOUND_MSG)
        self.check_trial_is_updatable(trial_id, row.state)
        return int(row.study_id)

    def _on_conflict_dialect(self) -> Any:
        """The dialect module whose ``insert`` has ``on_conflict_do_update``, if any."""
        name = self.engine.name
        if name == "postgresql":
            return postgresql
        if name == "sqlite" and sqlite3.sqlite_version_info >= (3, 24):
            return sqlite
        return None

    def _beat(self, session: Session, trial_id: int) -> None:
        """Record a heartbeat (as ``record_heartbeat`` does) inside ``session``."""
        model = models.TrialHeartbeatModel
        dialect = self._on_conflict_dialect()
        if dialect is not None:
            insert = dialect.insert(model).values(trial_id=trial_id, heartbeat=sa.func.now())
            session.execute(
                insert.on_conflict_do_update(
                    index_elements=[model.trial_id], set_={"heartbeat": sa.func.now()}
                )
            )
            return
        beat = model.where_trial_id(trial_id, session, True)
        if beat is None:
            session.add(model(trial_id=trial_id))
        else:
            beat.heartbeat = session.execute(sa.func.now()).scalar()

    def _upsert_user_attrs(self, session: Session, trial_id: int, attrs: Mapping[str, Any]) -> None:
        """One multi-row INSERT ... ON CONFLICT UPDATE where the database has it."""
        if not attrs:
            return
        model = models.TrialUserAttributeModel
        rows = [
            {"trial_id": trial_id, "key": key, "value_json": json.dumps(value)}
            for key, value in attrs.items()
        ]
        dialect = self._on_conflict_dialect()
        if dialect is not None:
            insert = dialect.insert(model).values(rows)
            session.execute(
                insert.on_conflict_do_update(
                    index_elements=[model.trial_id, model.key],
                    set_={"value_json": insert.excluded.value_json},
                )
            )
        elif self.engine.name == "mysql":
            insert = mysql.insert(model).values(rows)
            session.execute(insert.on_duplicate_key_update(value_json=insert.inserted.value_json))
        else:
            for key, value in attrs.items():
                self._set_trial_attr_without_commit(session, model, trial_id, key, value)


for _name in _RETRIED:
    setattr(RetryingRDBStorage, _name, _retrying(getattr(RetryingRDBStorage, _name)))
