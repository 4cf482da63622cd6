"""The dashboard command's parts: the study page URL and the studies' artifact stores."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from optuna.artifacts.exceptions import ArtifactNotFound
from typer.testing import CliRunner

from automl_sparse.cli import app
from automl_sparse.report._dashboard import ArtifactStores, dashboard_store, dashboard_url
from automl_sparse.storage import artifact_store, open_storage
from tests.report._finished import Finished

runner = CliRunner()


def test_url_names_the_study_page(finished: Finished) -> None:
    storage = open_storage(finished.url)
    study_id = storage.get_study_id_from_name(finished.name)
    url = dashboard_url(storage, finished.name, "127.0.0.1", 8123)
    assert url == f"http://127.0.0.1:8123/dashboard/studies/{study_id}"
    assert dashboard_url(storage, None, "127.0.0.1", 8123) == "http://127.0.0.1:8123/dashboard"


def test_store_is_the_study_artifact_folder(finished: Finished) -> None:
    store = dashboard_store(open_storage(finished.url), finished.name)
    assert Path(store._base_path) == finished.folder / "artifacts" / "optuna"


def test_stores_of_several_studies_read_from_each(tmp_path: Path) -> None:
    first, second = artifact_store(tmp_path / "a"), artifact_store(tmp_path / "b")
    second.write("x", io.BytesIO(b"png"))
    stores = ArtifactStores([first, second])
    with stores.open_reader("x") as reader:
        assert reader.read() == b"png"
    with pytest.raises(ArtifactNotFound):
        stores.open_reader("missing")


def test_unknown_study_is_one_line_with_exit_code_2(finished: Finished) -> None:
    result = runner.invoke(app, ["dashboard", "nope", "--storage", finished.url])
    assert result.exit_code == 2
    assert "no study 'nope'" in result.output and finished.name in result.output
