"""The artifact directory: Optuna's file-system artifact store plus content-addressed files."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from optuna.artifacts import FileSystemArtifactStore


def artifact_store(root: Path | str) -> FileSystemArtifactStore:
    """Optuna's artifact store under ``<root>/optuna`` (trial plots, exported files)."""
    path = Path(root) / "optuna"
    path.mkdir(parents=True, exist_ok=True)
    return FileSystemArtifactStore(str(path))


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` across processes on this machine (or a POSIX shared FS)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
