"""Run trials as Ray tasks, on this machine or on a Ray cluster.

With an ``address`` (``auto`` or ``host:port``) the executor joins a running cluster
(``ray start --head`` ...; token authentication on: the joining process needs
``RAY_AUTH_MODE=token`` and the cluster's token). Without one it starts a local Ray that
listens on 127.0.0.1 only, and stops it at shutdown. Trials are dispatched as plain Ray tasks
from the coordinator (not Ray Tune, whose per-trial overhead is orders of magnitude higher).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from automl_sparse._errors import UserError
from automl_sparse.execution._base import Executor

LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
"""With this, a local ``ray.init()`` binds 127.0.0.1 instead of every interface."""


def _call(fn: Callable[[Any], Any], task: Any, threads: int) -> Any:
    import torch

    torch.set_num_threads(threads)
    return fn(task)


class RayExecutor(Executor):
    """At most ``max_concurrent`` trials at once, each a Ray task with its CPUs and GPUs."""

    def __init__(
        self,
        max_concurrent: int,
        *,
        cpus_per_trial: float = 1.0,
        gpus_per_trial: float = 0.0,
        address: str | None = None,
        threads: int = 1,
    ) -> None:
        try:
            import ray
        except ImportError:
            raise UserError(
                "the ray executor needs Ray: pip install 'automl-sparse[ray]'"
            ) from None
        self._ray = ray
        self._owns = False
        if not ray.is_initialized():
            self._start(address)
        self.capacity = max_concurrent
        self._threads = threads
        self._remote = ray.remote(num_cpus=cpus_per_trial, num_gpus=gpus_per_trial, max_retries=0)(
            _call
        )
        self._refs: dict[Any, Future[Any]] = {}
        """Submitted tasks not known to have ended (to cancel at shutdown)."""

    def _start(self, address: str | None) -> None:
        kwargs: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
        if address:
            kwargs["address"] = address
        else:
            os.environ.update(LOOPBACK_ENV)
            kwargs["include_dashboard"] = False
        try:
            self._ray.init(**kwargs)
        except ConnectionError as error:
            raise UserError(f"cannot join the Ray cluster at {address!r}: {error}") from None
        self._owns = True

    def submit(self, fn: Callable[[Any], Any], task: Any) -> Future[Any]:
        ref = self._remote.remote(fn, task, self._threads)
        # Forget ended tasks by their futures (no call into Ray per task on this path).
        self._refs = {r: f for r, f in self._refs.items() if not f.done()}
        future: Future[Any] = ref.future()
        self._refs[ref] = future
        return future

    def shutdown(self, *, cancel: bool = False) -> None:
        if cancel:
            for ref in self._refs:
                self._ray.cancel(ref, force=True)
        self._refs = {}
        if self._owns:
            self._ray.shutdown()
            self._owns = False
