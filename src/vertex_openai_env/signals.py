"""Termination signals as exceptions that unwind through `finally`, and a way to hold them.

SIGTERM and SIGHUP become `SystemExit(128 + signum)`, so an interrupted run removes what it
was writing. A signal that arrives while `held()` is active waits until the holder says it
is safe (for example once a temporary file is under a `try` that removes it).
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator

_held = 0
_pending: list[int] = []


def install() -> None:
    """Turn SIGTERM and SIGHUP into SystemExit, and make them (and SIGINT) holdable."""
    for name in ("SIGTERM", "SIGHUP", "SIGINT"):
        signum = getattr(signal, name, None)
        if signum is not None:
            signal.signal(signum, _handle)


def _handle(signum: int, frame: object) -> None:
    if _held:
        _pending.append(signum)
        return
    _raise(signum)


def _raise(signum: int) -> None:
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def held() -> Iterator[Callable[[], None]]:
    """Hold termination signals; the function yielded lets a held one through at once.

    with signals.held() as release:
        fd = os.open(...)
        try:
            release()   # a signal that came meanwhile is raised here, inside the try
            ...
    """
    global _held
    _held += 1
    released = False

    def release() -> None:
        nonlocal released
        global _held
        if released:
            return
        released = True
        _held -= 1
        if not _held and _pending:
            signum = _pending.pop(0)
            _pending.clear()
            _raise(signum)

    try:
        yield release
    finally:
        release()
