"""The study database (Optuna's RDB storage over SQLAlchemy), heartbeats, keys and artifacts."""

from automl_sparse.storage import _keys as keys
from automl_sparse.storage._artifacts import artifact_store, file_lock
from automl_sparse.storage._lease import LEASE_RENEW_S, LEASE_TTL_S, LeaseHeld, StudyLease
from automl_sparse.storage._open import (
    GRACE_PERIOD_S,
    HEARTBEAT_INTERVAL_S,
    heartbeat,
    open_storage,
    quiet_optuna,
    redact,
)
from automl_sparse.storage._retry import RetryingRDBStorage

__all__ = [
    "GRACE_PERIOD_S",
    "HEARTBEAT_INTERVAL_S",
    "LEASE_RENEW_S",
    "LEASE_TTL_S",
    "LeaseHeld",
    "RetryingRDBStorage",
    "StudyLease",
    "artifact_store",
    "file_lock",
    "heartbeat",
    "keys",
    "open_storage",
    "quiet_optuna",
    "redact",
]
