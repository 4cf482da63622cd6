"""Read a study file: YAML, schema, search-space file, storage and artifact locations.

Every mistake becomes one :class:`UserError` line naming the file and the field.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from automl_sparse._errors import UserError
from automl_sparse.config._phases import check_phases
from automl_sparse.config._schema import SearchSpace, StudyConfig

STORAGE_ENV = "AUTOML_SPARSE_STORAGE"
"""Environment variable holding the storage URL, so that passwords need not live in YAML."""

_UNION_TAGS = {"categorical", "int", "float", "fixed"}


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise UserError(f"{path}: file not found")
    try:
        return yaml.safe_load(path.read_text())
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise UserError(f"{path}{where}: YAML syntax error: {error.problem}") from None
    except yaml.YAMLError as error:
        raise UserError(f"{path}: YAML syntax error: {error}") from None


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if str(p) not in _UNION_TAGS and "[" not in str(p)]
    if parts[:2] == ["space", "params"]:
        parts = ["space", *parts[2:]]
    if parts[:1] == ["params"]:
        parts = parts[1:]
    return ".".join(parts) or "(top level)"


def _validation_error(path: Path, error: ValidationError) -> UserError:
    errors = [e for e in error.errors() if e["loc"][-1:] != ("str",)]  # the "space: FILE" branch
    first = errors[0] if errors else error.errors()[0]
    more = len(errors) - 1
    detail = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        detail = "unknown key"
    suffix = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
    return UserError(f"{path}: field '{_field_path(first['loc'])}': {detail}{suffix}")


def _validate(model: type[BaseModel], raw: Any, path: Path) -> Any:
    if not isinstance(raw, dict):
        raise UserError(f"{path}: expected a mapping of keys to values at the top level")
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise _validation_error(path, error) from None


def load_search_space(path: Path) -> SearchSpace:
    """Read a search-space file (the ``space`` section on its own)."""
    raw = _read_yaml(path)
    return _validate(SearchSpace, raw.get("space", raw) if isinstance(raw, dict) else raw, path)


def _space_file(name: str, study_file: Path) -> Path:
    """A space file by name: in a ``search_spaces/`` folder first, then beside the study."""
    bases = (study_file.parent, Path.cwd(), study_file.parent.parent)
    folders = [base / "search_spaces" for base in bases] + [study_file.parent, Path.cwd()]
    for folder in folders:
        for candidate in (folder / name, (folder / name).with_suffix(".yaml")):
            if candidate.is_file() and candidate.resolve() != study_file:
                return candidate
    raise UserError(f"field 'space': search-space file {name!r} not found in search_spaces/")


def resolve_storage(cli_value: str | None, config_value: str | None, default: str | None) -> str:
    """The storage URL: --storage, then $AUTOML_SPARSE_STORAGE, then the file, then the default."""
    url = cli_value or os.environ.get(STORAGE_ENV) or config_value or default
    if not url:
        raise UserError(f"no storage given: pass --storage URL or set {STORAGE_ENV}")
    return url


def load_study_config(
    path: Path | str,
    *,
    storage: str | None = None,
    n_trials: int | None = None,
    executor: str | None = None,
    workers: int | None = None,
    address: str | None = None,
) -> tuple[StudyConfig, str]:
    """Validate a study file; return the config (space inlined, paths absolute) and storage URL.

    The returned config holds no storage URL: that may carry a password and is never stored.
    """
    path = Path(path).resolve()
    config: StudyConfig = _validate(StudyConfig, _read_yaml(path), path)
    updates: dict[str, Any] = {"storage": None}
    if isinstance(config.space, str):
        try:
            updates["space"] = load_search_space(_space_file(config.space, path))
        except UserError as error:
            raise UserError(
                f"{path}: {error}" if str(path) not in str(error) else str(error)
            ) from None
    artifacts = Path(config.artifacts or "artifacts")
    updates["artifacts"] = str(artifacts if artifacts.is_absolute() else path.parent / artifacts)
    if n_trials is not None:
        updates |= with_n_trials(config, n_trials)
    overrides = {"name": executor, "workers": workers, "address": address}
    if any(v is not None for v in overrides.values()):
        updates["executor"] = config.executor.model_copy(
            update={k: v for k, v in overrides.items() if v is not None}
        )
    default_storage = f"sqlite:///{path.parent / (config.name + '.db')}"
    url = resolve_storage(storage, config.storage, default_storage)
    config = config.model_copy(update=updates)
    try:
        check_phases(config)
    except UserError as error:
        raise UserError(f"{path}: {error}") from None
    return config, url


def with_n_trials(config: StudyConfig, n_trials: int) -> dict[str, Any]:
    """``--n-trials``: the study's budget, and every phase's, set to ``n_trials``."""
    if n_trials < 1:
        raise UserError(f"--n-trials must be at least 1, but got {n_trials}")
    updates: dict[str, Any] = {}
    if config.budget is not None:
        updates["budget"] = config.budget.model_copy(update={"n_trials": n_trials})
    if config.phases:
        updates["phases"] = [
            phase
            if phase.budget is None
            else phase.model_copy(
                update={"budget": phase.budget.model_copy(update={"n_trials": n_trials})}
            )
            for phase in config.phases
        ]
    return updates
