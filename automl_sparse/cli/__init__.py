"""The Typer CLI: ``automl-sparse launch | resume | status | best``."""

from automl_sparse.cli import _results  # noqa: F401  (dashboard, report, export, evaluate)
from automl_sparse.cli._app import app, main

__all__ = ["app", "main"]
