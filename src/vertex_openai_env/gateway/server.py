"""The gateway's life: listen, hand out the client's variables, serve, stop gracefully.

`Gateway` is the server itself, usable on any event loop (the tests and the benchmark run
it in a thread); `serve` runs one until SIGINT, SIGTERM or SIGHUP, then lets requests in
flight finish for up to `GRACE` seconds. At its creation the open-file limit is raised
and shared out (`limits.py`); its connections go through `Connections`.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
import time
from collections.abc import Callable, Mapping
from typing import NamedTuple

from aiohttp import web

from ..errors import VertexEnvError, reason
from ..output.variables import variables
from ..pipeline import Exports
from .address import LOOPBACK, READ_TIMEOUT, client_host
from .app import Tally, application
from .connections import IDLE_TIMEOUT, REPORT_EVERY, Connections
from .holder import holder, someone_else
from .keeper import TokenKeeper
from .key import KeyCheck
from .limits import budget, raise_file_limit
from .models import Models
from .responses import Responses
from .upstream import Upstream

GRACE = 10.0  # seconds that requests in flight get to finish once told to stop
CANCELLED = 0.1  # seconds, after the grace, for requests still running to be cancelled
BACKLOG = 1024  # connections the system holds before the gateway accepts them
STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


class Settings(NamedTuple):
    """How the gateway listens and talks: what `serve`'s own options say."""

    key: str
    bind: str = LOOPBACK
    port: int = 0  # any free port
    read_timeout: float = READ_TIMEOUT
    log_requests: bool = True  # one line per request on stderr
    aliases: Mapping[str, str] = {}  # model names that tools hard-code: the model they mean
    files: int | None = None  # open files to budget for; None: the raised soft limit


class Gateway:
    """A local OpenAI-compatible server forwarding to the destination of `exports`."""

    def __init__(
        self,
        exports: Exports,
        settings: Settings,
        environ: Mapping[str, str],
        say: Callable[[str], None],
    ) -> None:
        self.exports = exports
        self.settings = settings
        self.tally = Tally()
        self.budget = budget(settings.files or raise_file_limit())
        job = exports.job
        self.keeper = TokenKeeper(job, environ, exports.minted, say)
        self._upstream = Upstream(
            exports.destination.base_url,
            self.keeper,
            exports.context,
            job.timeout,
            settings.read_timeout,
            say,
            self.budget.upstream,
        )
        self.models = Models(exports.destination.target, settings.aliases)
        self.responses = Responses(self._upstream, self.models)
        self.connections: Connections | None = None
        app = application(
            KeyCheck(settings.key),
            lambda: self.connections,
            self._upstream,
            self.models,
            self.responses,
            self.tally,
            say if settings.log_requests else None,
        )
        self._runner = web.AppRunner(
            app,
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=CANCELLED,
            keepalive_timeout=IDLE_TIMEOUT,
            auto_decompress=False,  # a compressed body goes on as it came, its header with it
        )
        self.port = settings.port
        self._say = say
        _quiet_aiohttp(say)

    @property
    def base_url(self) -> str:
        return f"http://{client_host(self.settings.bind)}:{self.port}/v1"

    def variables(self) -> dict[str, str]:
        """What a client needs: the gateway's URL, the local key, the model (as the gateway
        names it); no Google token."""
        model = self.models.name
        return variables(self.base_url, self.settings.key, None, model, self.exports.job.names)

    async def start(self) -> None:
        """Listen; VertexEnvError when the address cannot be had."""
        await self._upstream.open()
        await self._runner.setup()
        bind, port = self.settings.bind, self.settings.port
        assert self._runner.server is not None
        self.connections = Connections(self._runner.server, self.budget.clients, self._say)
        site = _Site(self._runner, bind, port, self.connections)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            where = f"{client_host(bind)}:{port}" if port else f"{bind} (any free port)"
            if exc.errno == errno.EADDRINUSE:
                raise _in_use(where, port) from None
            # asyncio's text holds the address as a tuple: the system's words are enough.
            # From Python 3.13 an address that is not the machine's is skipped, and the
            # error that follows has no errno: "could not bind on any address out of [...]".
            code = exc.errno or (errno.EADDRNOTAVAIL if "could not bind" in str(exc) else 0)
            said = os.strerror(code).lower() if code else reason(exc)
            raise VertexEnvError(
                f"cannot listen on {where}: {said}",
                fix="--bind an address of this machine (ip -brief address lists them)",
            ) from None
        self.port = int(self._runner.addresses[0][1])
        self.keeper.start()
        _settle_allocator()

    async def stop(self) -> None:
        """Stop listening, let requests in flight finish (up to GRACE seconds), close."""
        self.tally.stopping = True
        for site in self._runner.sites:
            await site.stop()
        if self._runner.server is not None and self.connections is not None:
            self._runner.server.pre_shutdown()  # idle connections close, busy ones after
            loop = asyncio.get_running_loop()
            deadline = loop.time() + GRACE
            while self.connections.busy() and loop.time() < deadline:
                await asyncio.sleep(0.05)
        await self._runner.cleanup()  # what is still running now is cancelled
        if self.connections is not None:
            self.connections.stop()
        await self.keeper.stop()
        await self._upstream.close()


async def serve(gateway: Gateway, announce: Callable[[dict[str, str]], None]) -> None:
    """Run `gateway` until a stop signal; `announce` gets the client's variables once it
    listens."""
    stopped = stop_signals()  # before announcing: a client may stop it at once
    await gateway.start()
    try:
        announce(gateway.variables())
        await stopped.wait()
    finally:
        await gateway.stop()


def stop_signals() -> asyncio.Event:
    """An event set by the first SIGINT, SIGTERM or SIGHUP from now on."""
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    for name in STOP_SIGNALS:
        loop.add_signal_handler(getattr(signal, name), stopped.set)
    return stopped


def _in_use(where: str, port: int) -> VertexEnvError:
    """The port is taken: by whom, where the system says, and what that could mean."""
    who = holder(port) if port else None
    by = f" by {who}" if who else ""
    if port and someone_else(port):
        return VertexEnvError(
            f"cannot listen on {where}: the port is in use{by}, another user: clients set "
            "for this port would send their key and prompts to them",
            fix="leave --port out for a free port, and give clients the --env-file it writes",
        )
    return VertexEnvError(
        f"cannot listen on {where}: the port is in use{by} "
        "(choose another --port, or leave it out for a free one)"
    )


class _Site(web.TCPSite):
    """A TCP site whose connections go through `Connections` (the cap, the header deadline)."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, factory: Connections) -> None:
        super().__init__(runner, host, port, backlog=BACKLOG)
        self._factory = factory

    async def start(self) -> None:
        self._runner._reg_site(self)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._factory, self._host, self._port, backlog=BACKLOG, reuse_address=True
        )


def _settle_allocator() -> None:
    """Free one large block, so that glibc serves asyncio's read buffers from its heap.

    asyncio reads each socket into a fresh 256 KiB buffer. glibc hands out blocks that
    big by mmap, and takes them back by munmap (two system calls and page faults for
    every read, a fifth of a request's time here), until freeing such a block raises its
    threshold. Start-up may or may not have done so (importing google-auth does): do it.
    """
    bytearray(4 * 256 * 1024)


def _quiet_aiohttp(say: Callable[[str], None]) -> None:
    """aiohttp's and asyncio's log records as one line each, without tracebacks or message
    text: either could hold a header or a body."""
    for name in ("aiohttp", "asyncio"):
        logger = logging.getLogger(name)
        for handler in [h for h in logger.handlers if isinstance(h, _OneLine)]:
            logger.removeHandler(handler)
        logger.addHandler(_OneLine(say))
        logger.propagate = False


class _OneLine(logging.Handler):
    """Each kind of record at most once per REPORT_EVERY seconds, with how many more came:
    a flood (one per connection, say) costs a line, not a line each."""

    def __init__(self, say: Callable[[str], None]) -> None:
        super().__init__(logging.WARNING)
        self.say = say
        self._last: dict[str, tuple[float, int]] = {}  # line: (when said, repeats since)

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[0] if record.exc_info else None
        kind = f" ({error.__name__})" if error else ""
        line = f"{record.name}: {record.levelname.lower()}{kind}"
        now = time.monotonic()
        said, repeats = self._last.get(line, (-REPORT_EVERY, 0))
        if now - said < REPORT_EVERY:
            self._last[line] = (said, repeats + 1)
            return
        more = f" ({repeats} more in the last {REPORT_EVERY:g}s)" if repeats else ""
        self._last[line] = (now, 0)
        self.say(line + more)
