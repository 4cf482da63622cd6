"""Optuna's RDB storage, retrying with backoff while the database is briefly unreachable.

A PostgreSQL restart mid-study must lose nothing: every storage call that fails because the
connection broke is repeated (exponential backoff, bounded in total time), in workers and in
the coordinator alike. Errors of the data itself (integrity, bad values) are not retried.

A write whose commit reached the server just before the connection broke may be repeated;
Optuna's writes are idempotent except ``create_new_trial`` (a rare extra WAITING-free trial
row, which the coordinator's budget accounting ignores because it is never asked).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import optuna
import sqlalchemy.exc
from optuna.exceptions import StorageInternalError
from optuna.storages._rdb import models
from optuna.storages._rdb.storage import _create_scoped_session

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
    """An :class:`optuna.storages.RDBStorage` whose calls survive a brief database outage."""

    def set_trial_user_attrs(self, trial_id: int, attrs: Mapping[str, Any]) -> None:
        """Set several user attributes of a trial in one transaction (one commit, not one each).

        Uses RDBStorage's per-attribute upsert inside a single session (Optuna 5 internals;
        the version is pinned below 6).
        """
        with _create_scoped_session(self.scoped_session, True) as session:
            for key, value in attrs.items():
                self._set_trial_attr_without_commit(
                    session, models.TrialUserAttributeModel, trial_id, key, value
                )


for _name in _RETRIED:
    setattr(RetryingRDBStorage, _name, _retrying(getattr(RetryingRDBStorage, _name)))
