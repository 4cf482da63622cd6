"""Executors: where trials run. ``create_executor("process", workers=2)``."""

from __future__ import annotations

from automl_sparse._errors import unknown_name
from automl_sparse.execution._base import Executor
from automl_sparse.execution._inline import InlineExecutor
from automl_sparse.execution._process import ProcessExecutor

EXECUTORS = ("inline", "process")


def check_executor(name: str) -> None:
    """Raise a UserError listing the known executors when ``name`` is not one."""
    if name not in EXECUTORS:
        raise unknown_name("executor", name, list(EXECUTORS))


def create_executor(name: str, *, workers: int = 1, threads: int = 1) -> Executor:
    """Build the executor ``name`` (``inline`` runs one trial at a time in this process)."""
    check_executor(name)
    if name == "inline":
        return InlineExecutor()
    return ProcessExecutor(workers, threads)


__all__ = [
    "EXECUTORS",
    "Executor",
    "InlineExecutor",
    "ProcessExecutor",
    "check_executor",
    "create_executor",
]
