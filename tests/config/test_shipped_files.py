"""Every study file and search space that ships with the project loads and checks out."""

from __future__ import annotations

from pathlib import Path

import pytest

from automl_sparse.config import load_search_space, load_study_config
from automl_sparse.study import check_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", sorted((ROOT / "studies").glob("*.yaml")), ids=lambda p: p.name)
def test_study_file_is_valid(path: Path) -> None:
    config, _ = load_study_config(path)
    check_config(config)


@pytest.mark.parametrize(
    "path", sorted((ROOT / "search_spaces").glob("*.yaml")), ids=lambda p: p.name
)
def test_search_space_file_is_valid(path: Path) -> None:
    assert load_search_space(path).params
