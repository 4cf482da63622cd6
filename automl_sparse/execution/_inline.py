"""Run each trial in the coordinator's own process, one at a time (tests, debugging)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from automl_sparse.execution._base import Executor


class InlineExecutor(Executor):
    """``submit`` runs the trial to its end before returning a finished future."""

    capacity = 1

    def submit(self, fn: Callable[[Any], Any], task: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(task))
        except Exception as error:
            future.set_exception(error)
        return future

    def shutdown(self, *, cancel: bool = False) -> None:
        return None
