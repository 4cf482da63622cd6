"""The finished tiny study these tests read (run once a session, shared across folders)."""

from __future__ import annotations

import pytest

from tests.report._finished import Finished, finished_study


@pytest.fixture(scope="session")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Finished:
    """A finished 4-trial study with learnable activations and its artifacts."""
    return finished_study(tmp_path_factory.getbasetemp() / "finished-study")
