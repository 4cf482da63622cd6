"""optuna-dashboard on a study database, with the studies' artifact stores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

import optuna
import optuna_dashboard
from optuna.artifacts import FileSystemArtifactStore
from optuna.artifacts.exceptions import ArtifactNotFound

from automl_sparse._errors import UserError
from automl_sparse.storage import artifact_store, keys

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


class ArtifactStores:
    """Reads an artifact from the first of several stores that has it (studies may differ)."""

    def __init__(self, stores: list[FileSystemArtifactStore]) -> None:
        self._stores = stores

    def open_reader(self, artifact_id: str) -> BinaryIO:
        for store in self._stores:
            try:
                return store.open_reader(artifact_id)
            except ArtifactNotFound:
                continue
        raise ArtifactNotFound(f"artifact {artifact_id} is in none of the study artifact stores")

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        self._stores[0].write(artifact_id, content_body)

    def remove(self, artifact_id: str) -> None:
        for store in self._stores:
            store.remove(artifact_id)


def _roots(storage: optuna.storages.BaseStorage, name: str | None) -> list[str]:
    """The artifact folders of study ``name`` (of every study when None), in order, once."""
    studies = storage.get_all_studies()
    if name is not None:
        studies = [s for s in studies if s.study_name == name]
    roots = []
    for study in studies:
        config = study.user_attrs.get(keys.STUDY_CONFIG) or {}
        roots.append(config.get("artifacts") or "artifacts")
    return list(dict.fromkeys(roots)) or ["artifacts"]


def dashboard_store(
    storage: optuna.storages.BaseStorage, name: str | None
) -> FileSystemArtifactStore | ArtifactStores:
    """The artifact store(s) of study ``name``, or of every study in ``storage``."""
    stores = [artifact_store(root) for root in _roots(storage, name)]
    return stores[0] if len(stores) == 1 else ArtifactStores(stores)


def dashboard_url(
    storage: optuna.storages.BaseStorage, name: str | None, host: str, port: int
) -> str:
    """The page to open: the study's own page with ``name``, else the list of studies."""
    base = f"http://{host}:{port}/dashboard"
    if name is None:
        return base
    try:
        study_id = storage.get_study_id_from_name(name)
    except KeyError:
        known = ", ".join(sorted(s.study_name for s in storage.get_all_studies())) or "none"
        raise UserError(f"no study {name!r} in the database; studies there: {known}") from None
    return f"{base}/studies/{study_id}"


@dataclass(frozen=True)
class Dashboard:
    """What :func:`serve` runs: the storage, the artifact store and the address."""

    storage: optuna.storages.BaseStorage
    store: FileSystemArtifactStore | ArtifactStores
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT

    def serve(self) -> None:
        """Serve until interrupted; a busy port is a :class:`UserError`."""
        try:
            optuna_dashboard.run_server(
                self.storage, host=self.host, port=self.port, artifact_store=self.store
            )
        except OSError as e:
            raise UserError(
                f"cannot serve on {self.host}:{self.port} ({e.strerror or e}); try --port"
            ) from None
