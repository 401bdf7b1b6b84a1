"""stdout is data, stderr is talk: the only places the tool writes to either."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator

from .errors import FAILURE_EXIT, SaidBefore, VertexEnvError, one_line

PROG = "vertex-openai-env"
INTERRUPTED = 130


def emit(text: str) -> None:
    """Write the result to stdout in one piece, as UTF-8 with LF line ends on every platform."""
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def say(message: str) -> None:
    """One line of talk on stderr, made safe to show."""
    sys.stderr.write(f"{PROG}: {one_line(message)}\n")
    sys.stderr.flush()


def note(message: str) -> None:
    say(f"note: {message}")


_said: set[str] = set()


def note_once(message: str) -> None:
    """A note said once per process, however often it comes up (--watch, serve)."""
    if message not in _said:
        _said.add(message)
        note(message)


def error(message: str, fix: str | None) -> None:
    """What failed, and on a second line the command that fixes it."""
    say(f"error: {message}")
    if fix:
        sys.stderr.write(f"  fix: {one_line(fix)}\n")


@contextlib.contextmanager
def waiting(step: Callable[[], str], after: float = 1.0) -> Iterator[None]:
    """Say "waiting for STEP..." if the block takes longer than `after` seconds, and only
    to a person: on a terminal. Scripts and logs get nothing."""
    if not sys.stderr.isatty():
        yield
        return
    import threading

    timer = threading.Timer(after, lambda: say(f"waiting for {step()}..."))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def reported(work: Callable[[], object]) -> int:
    """Run `work`; say what failed, if anything, and return the exit status."""
    try:
        work()
    except VertexEnvError as exc:
        if not isinstance(exc, SaidBefore):
            error(exc.message, exc.fix)
        return exc.exit_code
    except KeyboardInterrupt:
        error("interrupted", None)
        return INTERRUPTED
    except Exception as exc:
        if os.environ.get("VERTEX_OPENAI_ENV_DEBUG"):
            raise
        internal_error(exc)
        return FAILURE_EXIT
    return 0


def internal_error(exc: BaseException) -> None:
    """A failure nobody foresaw: its type only, since its text or traceback could carry a secret."""
    error(
        f"internal error ({type(exc).__name__}); please report it",
        f"VERTEX_OPENAI_ENV_DEBUG=1 {PROG} ...  # shows the traceback",
    )
