"""`--timeout` as a deadline for the whole command, shared by every step that waits."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from .console import waiting
from .errors import TokenSourceError

T = TypeVar("T")


class DeadlineError(TokenSourceError):
    """The command ran out of time (--timeout) while waiting for something."""


class Deadline:
    """The moment a command gives up; each step asks how long it may still wait.

    >>> deadline = Deadline(10)
    >>> 0 < deadline.left("the token endpoint") <= 10
    True
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def left(self, step: str) -> float:
        """Seconds left for `step`; an error naming `step` once there are none."""
        left = self._end - time.monotonic()
        if left <= 0:
            raise self.expired(step)
        return left

    def expired(self, step: str) -> DeadlineError:
        """The error for a command that ran out of time while waiting for `step`."""
        return DeadlineError(
            f"gave up after {self.seconds:g}s (--timeout) waiting for {step}",
            fix="check your network or proxy; raise the limit with --timeout SECONDS",
        )

    def run(self, step: Callable[[], str], work: Callable[[], T]) -> T:
        """`work()`, given up (its thread abandoned) when the deadline passes first.

        For calls whose libraries bound each socket read but not the whole exchange: a
        server that drips one byte a second would otherwise hold the command for ever.
        `step` names, when asked, what was still being waited for.
        """
        import threading

        outcome: list[T] = []
        failure: list[BaseException] = []

        def attempt() -> None:
            try:
                outcome.append(work())
            except BaseException as exc:  # handed to the waiting thread
                failure.append(exc)

        worker = threading.Thread(target=attempt, name="bounded-call", daemon=True)
        worker.start()
        with waiting(step):
            worker.join(max(0.0, self._end - time.monotonic()))
        if worker.is_alive():
            raise self.expired(step())
        if failure:
            raise failure[0]
        return outcome[0]
