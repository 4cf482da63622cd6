"""Open a study database by SQLAlchemy URL through Optuna's RDB storage."""

from __future__ import annotations

import contextlib
import threading
import time
import warnings
import weakref
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


class _Heartbeats:
    """One thread per storage that beats for every trial running in this process.

    A thread of its own per trial would cost a start and a join per trial, which is most of a
    short trial's time on a busy machine. The thread ends after an interval with no trial.
    """

    def __init__(self, storage: optuna.storages.RDBStorage, interval: float) -> None:
        self._storage = weakref.ref(storage)  # the registry below is keyed by the storage
        self._interval = interval
        self._due: dict[int, float] = {}  # trial id -> when its next beat is due (monotonic)
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, trial_id: int, *, first_now: bool) -> None:
        with self._changed:
            self._due[trial_id] = time.monotonic() + (0.0 if first_now else self._interval)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
                self._thread.start()
            self._changed.notify()

    def discard(self, trial_id: int) -> None:
        with self._changed:
            self._due.pop(trial_id, None)

    def _run(self) -> None:
        while True:
            with self._changed:
                if not self._due:
                    self._changed.wait(self._interval)
                    if not self._due:
                        self._thread = None
                        return
                now = time.monotonic()
                due = [trial for trial, at in self._due.items() if at <= now]
                if not due:
                    self._changed.wait(min(self._due.values()) - now)
                    continue
                for trial in due:
                    self._due[trial] = now + self._interval
            storage = self._storage()
            if storage is None:
                return
            for trial in due:
                # A database blip must not kill the trial; the next beat retries.
                with contextlib.suppress(Exception):
                    storage.record_heartbeat(trial)
            del storage


_beats: weakref.WeakKeyDictionary[optuna.storages.RDBStorage, _Heartbeats] = (
    weakref.WeakKeyDictionary()
)
_beats_lock = threading.Lock()


@contextmanager
def heartbeat(
    storage: optuna.storages.RDBStorage, trial_id: int, *, first_now: bool = True
) -> Iterator[None]:
    """Record a heartbeat for ``trial_id`` every interval while the block runs.

    With ``first_now=False`` the first beat comes one interval in (the caller has just
    recorded one, as ``RetryingRDBStorage.begin_trial`` does). A beat already under way as
    the block ends may land just after it, which is harmless: only running trials are reaped.
    """
    with _beats_lock:
        if storage not in _beats:
            interval = storage.get_heartbeat_interval() or HEARTBEAT_INTERVAL_S
            _beats[storage] = _Heartbeats(storage, interval)
        beats = _beats[storage]
    beats.add(trial_id, first_now=first_now)
    try:
        yield
    finally:
        beats.discard(trial_id)
