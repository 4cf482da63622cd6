"""The executor interface: run a picklable function on a picklable task somewhere."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any


class Executor(ABC):
    """Runs trials. Call order: ``submit`` any number of times, then ``shutdown`` once.

    ``capacity`` is how many trials may run at the same time.
    """

    capacity: int = 1

    @abstractmethod
    def submit(self, fn: Callable[[Any], Any], task: Any) -> Future[Any]:
        """Start ``fn(task)``; the future holds its return value or exception."""

    @abstractmethod
    def shutdown(self, *, cancel: bool = False) -> None:
        """Release workers; with ``cancel``, abandon queued and running work at once."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown(cancel=exc[0] is not None)
