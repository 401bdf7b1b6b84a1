"""Client connections: a cap below the file limit, a deadline for the first request's
headers, and refusals said once per `REPORT_EVERY` seconds, not once each.

`Connections` wraps aiohttp's protocol factory. A connection that has sent no whole request
head within `HEADER_TIMEOUT` seconds of its opening is closed (aiohttp's own keep-alive
timer, set to `IDLE_TIMEOUT`, closes one left idle between requests). At the cap, a new
connection closes the oldest idle one (no request being handled), one that never sent a
request first (a squatter's, more likely than a client's); when none is idle, the new one
is refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web

HEADER_TIMEOUT = 10.0  # seconds from a connection's opening to its first request's head
IDLE_TIMEOUT = 60.0  # seconds a kept-alive connection may wait for its next request
REPORT_EVERY = 10.0  # seconds: refusals are said as one count per period


class Connections:
    """The protocol factory for the listening socket: at most `cap` client connections."""

    def __init__(self, server: web.Server, cap: int, say: Callable[[str], None]) -> None:
        self._server = server
        self.cap = cap
        self._say = say
        self._open: dict[int, _Guarded] = {}  # by id of its aiohttp handler; oldest first
        # The idle ones, oldest first: those that never sent a request, those that did.
        self._unused: dict[int, _Guarded] = {}
        self._idle: dict[int, _Guarded] = {}
        self.refused = 0  # in the current period
        self.evicted = 0
        self._report: asyncio.TimerHandle | None = None

    def __call__(self) -> asyncio.Protocol:
        return _Guarded(self, self._server())

    def __len__(self) -> int:
        return len(self._open)

    def busy(self) -> int:
        """Requests being handled."""
        return sum(guarded.busy for guarded in self._open.values())

    def begun(self, protocol: object) -> None:
        """A request's head arrived on `protocol`'s connection: it is busy, not idle."""
        guarded = self._open.get(id(protocol))
        if guarded is not None:
            guarded.busy += 1
            guarded.cancel_timer()
            self._unused.pop(id(protocol), None)
            self._idle.pop(id(protocol), None)

    def ended(self, protocol: object) -> None:
        guarded = self._open.get(id(protocol))
        if guarded is not None:
            guarded.busy -= 1
            if not guarded.busy:
                self._idle[id(protocol)] = guarded

    def _admit(self, guarded: _Guarded) -> bool:
        if len(self._open) >= self.cap:
            idle = next(iter(self._unused.values()), None) or next(iter(self._idle.values()), None)
            if idle is None:
                self._note("refused")
                return False
            self._left(idle)  # now: it is gone for the count before the system says so
            idle.close()
            self._note("evicted")
        self._open[id(guarded.handler)] = guarded
        self._unused[id(guarded.handler)] = guarded
        return True

    def _left(self, guarded: _Guarded) -> None:
        key = id(guarded.handler)
        for table in (self._open, self._unused, self._idle):
            table.pop(key, None)

    def _note(self, what: str) -> None:
        setattr(self, what, getattr(self, what) + 1)
        if self._report is None:
            loop = asyncio.get_running_loop()
            self._report = loop.call_later(REPORT_EVERY, self._say_counts)

    def _say_counts(self) -> None:
        self._report = None
        counts = []
        if self.refused:
            counts.append(f"{self.refused} refused")
        if self.evicted:
            counts.append(f"{self.evicted} idle ones closed")
        self.refused = self.evicted = 0
        self._say(
            f"connections: {' and '.join(counts)} in the last {REPORT_EVERY:g}s "
            f"(at most {self.cap} are kept open, below the open-file limit)"
        )

    def stop(self) -> None:
        if self._report is not None:
            self._report.cancel()
            self._say_counts()


class _Guarded(asyncio.Protocol):
    """One client connection: aiohttp's handler, behind the cap and the header deadline."""

    def __init__(self, connections: Connections, handler: Any) -> None:
        self._connections = connections
        self.handler = handler
        self.busy = 0  # requests being handled
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._admitted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        if not self._connections._admit(self):
            transport.abort()
            return
        self._admitted = True
        self._timer = asyncio.get_running_loop().call_later(HEADER_TIMEOUT, self._expired)
        self.handler.connection_made(transport)

    def _expired(self) -> None:
        self._timer = None
        if not self.busy:
            self.close()

    def cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close(self) -> None:
        if self._transport is not None:
            self._transport.abort()  # no lingering, no half-close: the file is freed now

    def connection_lost(self, exc: Exception | None) -> None:
        self.cancel_timer()
        if self._admitted:
            self._connections._left(self)
            self.handler.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self.handler.data_received(data)

    def eof_received(self) -> bool | None:
        result: bool | None = self.handler.eof_received()
        return result

    def pause_writing(self) -> None:
        self.handler.pause_writing()

    def resume_writing(self) -> None:
        self.handler.resume_writing()
