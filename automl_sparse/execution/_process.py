"""Run trials in a pool of local processes (spawned, so that no OpenMP state is forked)."""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from automl_sparse.execution._base import Executor


def _init_worker(threads: int) -> None:
    import torch

    # The coordinator handles Ctrl-C and stops the workers itself; they must not die mid-write.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    torch.set_num_threads(threads)


class ProcessExecutor(Executor):
    """``workers`` processes, each running one trial at a time with ``threads`` torch threads."""

    def __init__(self, workers: int, threads: int = 1) -> None:
        self.capacity = workers
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(threads,),
        )

    def submit(self, fn: Callable[[Any], Any], task: Any) -> Future[Any]:
        return self._pool.submit(fn, task)

    def shutdown(self, *, cancel: bool = False) -> None:
        if cancel:
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.terminate()
        self._pool.shutdown(wait=True, cancel_futures=cancel)
