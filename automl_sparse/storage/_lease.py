"""The study lease: at most one coordinator runs a study at a time.

A row per study in ``automl_sparse_leases`` (beside Optuna's tables) names the holder and when
its lease expires. Taking it is one conditional UPDATE or an INSERT, atomic on SQLite,
PostgreSQL and MySQL alike. The holder renews it every ``renew_s``; a holder that dies stops
renewing, and its lease expires after ``ttl_s``, so a later ``resume`` can take over.
Expiry uses the holders' clocks: keep cluster clocks in sync (NTP) to well under ``ttl_s``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from types import TracebackType

import sqlalchemy as sa

from automl_sparse._errors import UserError

LEASE_TTL_S = 30.0
LEASE_RENEW_S = 5.0

_metadata = sa.MetaData()
_leases = sa.Table(
    "automl_sparse_leases",
    _metadata,
    sa.Column("study_name", sa.String(512), primary_key=True),
    sa.Column("holder", sa.String(255), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)


class LeaseHeld(UserError):
    """Another live coordinator holds the study."""


class StudyLease:
    """Hold the lease of ``study_name`` while the ``with`` block runs (renewed in a thread)."""

    def __init__(
        self,
        engine: sa.Engine,
        study_name: str,
        *,
        ttl_s: float = LEASE_TTL_S,
        renew_s: float = LEASE_RENEW_S,
    ) -> None:
        self._engine = engine
        self._study = study_name
        self._ttl = ttl_s
        self._renew_every = renew_s
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost = threading.Event()
        """Set when a renewal found the lease taken by someone else."""

    def _take(self, connection: sa.Connection) -> bool:
        now = time.time()
        taken = connection.execute(
            _leases.update()
            .where(_leases.c.study_name == self._study)
            .where(sa.or_(_leases.c.holder == self.holder, _leases.c.expires_at < now))
            .values(holder=self.holder, expires_at=now + self._ttl)
        ).rowcount
        if taken:
            return True
        try:
            with connection.begin_nested():
                connection.execute(
                    _leases.insert().values(
                        study_name=self._study, holder=self.holder, expires_at=now + self._ttl
                    )
                )
        except sa.exc.IntegrityError:
            return False
        return True

    def acquire(self) -> None:
        """Take the lease, or raise :class:`LeaseHeld` naming the holder."""
        _metadata.create_all(self._engine, checkfirst=True)
        with self._engine.begin() as connection:
            if self._take(connection):
                return
            row = connection.execute(
                sa.select(_leases.c.holder, _leases.c.expires_at).where(
                    _leases.c.study_name == self._study
                )
            ).one()
        left = max(0.0, row.expires_at - time.time())
        raise LeaseHeld(
            f"study {self._study!r} is being run by another coordinator ({row.holder}); its "
            f"lease expires {left:.0f} s after that coordinator stops, then run resume again"
        )

    def _renew_loop(self) -> None:
        while not self._stop.wait(self._renew_every):
            try:
                with self._engine.begin() as connection:
                    if not self._take(connection):
                        self.lost.set()
                        return
            except sa.exc.SQLAlchemyError:
                continue  # the database is briefly away; the lease outlives a few misses

    def release(self) -> None:
        """Stop renewing and give the lease back."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    _leases.delete()
                    .where(_leases.c.study_name == self._study)
                    .where(_leases.c.holder == self.holder)
                )
        except sa.exc.SQLAlchemyError:
            pass  # it expires by itself

    def __enter__(self) -> StudyLease:
        self.acquire()
        self._thread = threading.Thread(target=self._renew_loop, name="lease", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()
