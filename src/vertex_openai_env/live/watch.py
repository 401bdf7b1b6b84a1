"""`--env-file PATH --watch`: keep rewriting a .env file before each token expires.

Runs until SIGINT or SIGTERM. A failed refresh is retried with growing pauses while the
token already in the file stays valid, and every attempt is reported on stderr.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator

from ..durations import spoken
from ..errors import VertexEnvError
from ..tokens.types import Minted

FIRST_RETRY = 2
LAST_RETRY = 60


def next_refresh(left: float, min_valid: int) -> float:
    """Seconds to wait before refreshing a token with `left` seconds of life.

    One second past the margin, so the cache no longer offers the same token; but never
    less than half of what is left, so a token that lives shorter than the margin is not
    fetched again every second.
    """
    return max(1.0, left - min_valid + 1, left / 2)


def retry_pauses() -> Iterator[int]:
    """Seconds to wait after each failed refresh: FIRST_RETRY, doubling up to LAST_RETRY."""
    pause = FIRST_RETRY
    while True:
        yield pause
        pause = min(pause * 2, LAST_RETRY)


def refresh_failed(message: str, pause: int, left: float) -> str:
    """What a failed refresh says: why, when it is tried again, and whether the current
    token (with `left` seconds of life) still works meanwhile."""
    still = f"is valid for {spoken(int(left))} more" if left > 0 else "has expired"
    return (
        f"token refresh failed: {message}; retrying in {spoken(pause)} (the current token {still})"
    )


def watch(write: Callable[[], Minted], min_valid: int, say: Callable[[str], None]) -> None:
    """Call `write` now and again before each expiry, until stopped."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    minted = write()
    while True:
        wait = next_refresh(minted.token.seconds_left(), min_valid)
        say(f"token valid until {minted.token.expires_at()}; refreshing in {spoken(int(wait))}")
        if stop.wait(wait):
            break
        minted = _refreshed(write, minted, stop, say) or minted
        if stop.is_set():
            break
    say("stopped")


def _refreshed(
    write: Callable[[], Minted], current: Minted, stop: threading.Event, say: Callable[[str], None]
) -> Minted | None:
    for pause in retry_pauses():
        try:
            return write()
        except VertexEnvError as exc:
            say(refresh_failed(exc.message, pause, current.token.seconds_left()))
        if stop.wait(pause):
            break
    return None
