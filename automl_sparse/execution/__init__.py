"""Executors: where trials run. ``create_executor("process", workers=2)``."""

from __future__ import annotations

from automl_sparse._errors import unknown_name
from automl_sparse.execution._base import Executor
from automl_sparse.execution._inline import InlineExecutor
from automl_sparse.execution._process import ProcessExecutor

EXECUTORS = ("inline", "process", "ray")


def check_executor(name: str) -> None:
    """Raise a UserError listing the known executors when ``name`` is not one."""
    if name not in EXECUTORS:
        raise unknown_name("executor", name, list(EXECUTORS))


def create_executor(
    name: str,
    *,
    workers: int = 1,
    threads: int = 1,
    cpus_per_trial: float = 1.0,
    gpus_per_trial: float = 0.0,
    address: str | None = None,
) -> Executor:
    """Build the executor ``name`` (``inline`` runs one trial at a time in this process)."""
    check_executor(name)
    if name == "inline":
        return InlineExecutor()
    if name == "process":
        return ProcessExecutor(workers, threads)
    from automl_sparse.execution._ray import RayExecutor

    return RayExecutor(
        workers,
        cpus_per_trial=cpus_per_trial,
        gpus_per_trial=gpus_per_trial,
        address=address,
        threads=threads,
    )


__all__ = [
    "EXECUTORS",
    "Executor",
    "InlineExecutor",
    "ProcessExecutor",
    "check_executor",
    "create_executor",
]
