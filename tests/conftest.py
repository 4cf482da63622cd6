"""Shared fixtures: a tiny real study (digits, LeNet-5 at 16x16) and the study databases.

The PostgreSQL server is named by AUTOML_SPARSE_TEST_POSTGRES_URL (default: the local server
of this project's machines). Tests marked ``postgres`` fail, rather than skip, when it is down.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import optuna
import pytest
import torch
import yaml

from automl_sparse.storage import quiet_optuna
from tests._studies import tiny_study  # noqa: F401  (re-exported for tests)

POSTGRES_URL = os.environ.get(
    "AUTOML_SPARSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

torch.set_num_threads(1)
quiet_optuna()


@pytest.fixture
def write_study(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a study file into tmp_path and return its path."""

    def write(study: dict[str, Any], filename: str = "study.yaml") -> Path:
        path = tmp_path / filename
        path.write_text(yaml.safe_dump(study, sort_keys=False))
        return path

    return write


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A study database: a SQLite file, and the PostgreSQL server (studies removed after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'studies.db'}"
        return
    yield POSTGRES_URL
    storage = optuna.storages.RDBStorage(POSTGRES_URL)
    for name in getattr(request.node, "created_studies", []):
        with contextlib.suppress(KeyError):
            optuna.delete_study(study_name=name, storage=storage)
    storage.engine.dispose()


@pytest.fixture
def study_name(request: pytest.FixtureRequest) -> str:
    """A study name unique to this test run (the PostgreSQL database is shared)."""
    name = f"t-{uuid.uuid4().hex[:12]}"
    request.node.created_studies = [*getattr(request.node, "created_studies", []), name]
    return name
