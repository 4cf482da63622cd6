"""Open a study database by SQLAlchemy URL through Optuna's RDB storage."""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import optuna
import sqlalchemy
from sqlalchemy.engine import make_url

from automl_sparse._errors import UserError
from automl_sparse.storage._retry import RetryingRDBStorage

HEARTBEAT_INTERVAL_S = 5
GRACE_PERIOD_S = 30
"""A running trial whose heartbeat is older than this is reaped as lost."""
_SQLITE_BUSY_TIMEOUT_S = 60


def redact(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sqlalchemy.exc.ArgumentError:
        return "<unparsable storage URL>"


def _tune_sqlite(engine: sqlalchemy.Engine) -> None:
    """WAL journal (readers never block the writer) and commits without a full fsync each.

    In WAL mode ``synchronous=NORMAL`` stays consistent after a crash; a power cut may lose
    the last commits, which the study survives (a trial whose result was lost is reaped and
    re-run). Several processes write one file, so lock waits are long rather than failures.
    """

    @sqlalchemy.event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _engine_kwargs(url: str) -> dict[str, Any]:
    if make_url(url).get_backend_name() == "sqlite":
        # Several worker processes write one SQLite file: wait for the lock instead of failing.
        return {"connect_args": {"timeout": _SQLITE_BUSY_TIMEOUT_S}}
    # No pre-ping: a broken connection fails the call, which RetryingRDBStorage repeats after
    # disposing of the pool; pinging first would cost a round trip on every statement.
    return {"pool_size": 2, "max_overflow": 4}


def quiet_optuna() -> None:
    """Silence the warnings that this design expects (in every process that opens storage).

    Heartbeats are experimental in Optuna and meant for ``Study.optimize``; here workers record
    them and the coordinator reaps stale trials, which is the intended use in this design.
    """
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used")
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def open_storage(
    url: str,
    *,
    heartbeat_interval: int = HEARTBEAT_INTERVAL_S,
    grace_period: int = GRACE_PERIOD_S,
) -> optuna.storages.RDBStorage:
    """Open (creating tables if needed) the study database at ``url``, with heartbeats on.

    Calls retry with backoff while the database is briefly unreachable (see ``_retry``).
    """
    quiet_optuna()
    try:
        make_url(url)
    except sqlalchemy.exc.ArgumentError:
        raise UserError(f"storage URL {url!r} is not a SQLAlchemy URL") from None
    try:
        storage = RetryingRDBStorage(
            url,
            engine_kwargs=_engine_kwargs(url),
            heartbeat_interval=heartbeat_interval,
            grace_period=grace_period,
        )
    except (sqlalchemy.exc.SQLAlchemyError, ImportError, OSError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UserError(f"storage {redact(url)} cannot be reached: {reason}") from None
    if make_url(url).get_backend_name() == "sqlite":
        storage.engine.dispose()  # connections made from now on get the pragmas
        _tune_sqlite(storage.engine)
    return storage


@contextmanager
def heartbeat(storage: optuna.storages.RDBStorage, trial_id: int) -> Iterator[None]:
    """Record a heartbeat for ``trial_id`` every interval while the block runs."""
    interval = storage.get_heartbeat_interval() or HEARTBEAT_INTERVAL_S
    stop = threading.Event()

    def beat() -> None:
        while True:
            # A database blip must not kill the trial; the next beat retries.
            with contextlib.suppress(Exception):
                storage.record_heartbeat(trial_id)
            if stop.wait(interval):
                return

    thread = threading.Thread(target=beat, name=f"heartbeat-{trial_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
