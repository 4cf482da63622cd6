"""Run trials in a pool of local processes (spawned, so that no OpenMP state is forked)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from automl_sparse.execution._base import Executor

_ORPHAN_CHECK_S = 1.0
_busy = threading.Event()


def _exit_when_orphaned(parent: int) -> None:
    """A worker whose coordinator died finishes its trial (which records its result), then exits."""
    while True:
        time.sleep(_ORPHAN_CHECK_S)
        if os.getppid() != parent and not _busy.is_set():
            os._exit(0)


def _init_worker(threads: int, parent: int) -> None:
    import torch

    # The coordinator handles Ctrl-C and stops the workers itself; they must not die mid-write.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    torch.set_num_threads(threads)
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()


def _run(fn: Callable[[Any], Any], task: Any) -> Any:
    _busy.set()
    try:
        return fn(task)
    finally:
        _busy.clear()


class ProcessExecutor(Executor):
    """``workers`` processes, each running one trial at a time with ``threads`` torch threads."""

    def __init__(self, workers: int, threads: int = 1) -> None:
        self.capacity = workers
        self._threads = threads
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.capacity,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self._threads, os.getpid()),
        )

    def submit(self, fn: Callable[[Any], Any], task: Any) -> Future[Any]:
        try:
            return self._pool.submit(_run, fn, task)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): its trials fail as lost; start a new pool.
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            return self._pool.submit(_run, fn, task)

    def shutdown(self, *, cancel: bool = False) -> None:
        if cancel:
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.terminate()
        self._pool.shutdown(wait=True, cancel_futures=cancel)
