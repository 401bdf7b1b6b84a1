"""The gateway's life: listen, hand out the client's variables, serve, stop gracefully.

`Gateway` is the server itself, usable on any event loop (the tests and the benchmark run
it in a thread); `serve` runs one until SIGINT, SIGTERM or SIGHUP, then lets requests in
flight finish for up to `GRACE` seconds.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
from collections.abc import Callable, Mapping
from typing import NamedTuple

from aiohttp import web

from ..errors import VertexEnvError, reason
from ..output.variables import variables
from ..pipeline import Exports
from .address import LOOPBACK, READ_TIMEOUT, client_host
from .app import Tally, application
from .keeper import TokenKeeper
from .key import KeyCheck
from .models import Models
from .responses import Responses
from .upstream import Upstream

GRACE = 10.0  # seconds that requests in flight get to finish once told to stop
STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


class Settings(NamedTuple):
    """How the gateway listens and talks: what `serve`'s own options say."""

    key: str
    bind: str = LOOPBACK
    port: int = 0  # any free port
    read_timeout: float = READ_TIMEOUT
    log_requests: bool = True  # one line per request on stderr
    aliases: Mapping[str, str] = {}  # model names that tools hard-code: the model they mean


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
        job = exports.job
        self.keeper = TokenKeeper(job, environ, exports.minted, say)
        self._upstream = Upstream(
            exports.destination.base_url,
            self.keeper,
            exports.context,
            job.timeout,
            settings.read_timeout,
            say,
        )
        self.models = Models(exports.destination.target, settings.aliases)
        self.responses = Responses(self._upstream, self.models)
        app = application(
            KeyCheck(settings.key),
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
            shutdown_timeout=GRACE,
            auto_decompress=False,  # a compressed body goes on as it came, its header with it
        )
        self.port = settings.port
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
        site = web.TCPSite(self._runner, bind, port)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            where = f"{client_host(bind)}:{port}" if port else f"{bind} (any free port)"
            if exc.errno == errno.EADDRINUSE:
                raise VertexEnvError(
                    f"cannot listen on {where}: the port is in use "
                    "(choose another --port, or leave it out for a free one)"
                ) from None
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
        await self._runner.cleanup()
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
    def __init__(self, say: Callable[[str], None]) -> None:
        super().__init__(logging.WARNING)
        self.say = say

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[0] if record.exc_info else None
        kind = f" ({error.__name__})" if error else ""
        self.say(f"{record.name}: {record.levelname.lower()}{kind}")
