"""Requests to Vertex AI: a fresh Google token, one renewal after a 401, the timeouts, and
the explanation of a failure on stderr, once.

`send` serves both the byte-for-byte relay (`relay.py`) and the translated routes, which
build their own requests. Redirects are not followed; bodies are never logged, nor the
words Vertex quotes from them. Connections to Vertex AI are capped by the open-file
budget: a request waits for one, and past `timeout` gets 503 "busy", not a network error.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import time
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from typing import Any, NamedTuple

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from ..errors import VertexEnvError, reason
from ..output.variables import QUOTA_HEADER
from ..settings.urls import Target
from ..vertex.client import Reply
from ..vertex.diagnose import Context, explain
from . import refusals
from .bodies import Kept, read_up_to
from .keeper import TokenKeeper, Unavailable
from .said import Once

REPLAY_LIMIT = 10 << 20  # Vertex AI's own limit on a request
DIAGNOSIS_LIMIT = 1 << 20  # an error body read whole, to explain it
SERVED = ("chat/completions", "embeddings")  # what Vertex's OpenAI endpoint answers
OUT_OF_FILES = (errno.EMFILE, errno.ENFILE)
# Statuses whose explanation names its cause without Vertex's message (which, for a 400,
# quotes the request: a prompt has no place on stderr).
_NAMED = frozenset((401, 403, 404, 429))
# Whether the answer to the request being handled broke off after it began (a 200 that
# is not whole): set by the handler, read by the request log, in the request's own task.
_broke_off: ContextVar[bool] = ContextVar("broke_off", default=False)
# Whether the request being sent is waiting for a connection to Vertex AI (all in use).
_queued: ContextVar[bool] = ContextVar("queued", default=False)
Body = bytes | AsyncIterator[bytes]


class Answer(NamedTuple):
    """Vertex AI's answer, its body still to read, but for an error's: read to explain it."""

    response: aiohttp.ClientResponse
    head: bytes  # the start of an error's body (all of it when `whole`); empty on success
    whole: bool
    started: float  # time.monotonic() when the request left
    problem: VertexEnvError | None = None  # what an error means, as said on stderr

    @property
    def status(self) -> int:
        return self.response.status

    async def read(self) -> bytes:
        """The whole body."""
        if self.whole:
            return self.head
        return self.head + await self.response.read()


class Failed(Exception):
    """No answer from Vertex AI (no token, unreachable, timed out); already explained."""

    def __init__(self, reply: web.Response) -> None:
        super().__init__(reply.status)
        self.reply = reply


class Upstream:
    """Requests to one Vertex base URL, over one pool of keep-alive connections."""

    def __init__(
        self,
        base_url: str,
        keeper: TokenKeeper,
        context: Callable[[str], Context],
        timeout: float,
        read_timeout: float,
        say: Callable[[str], None],
        most: int = 100,
    ) -> None:
        self._base = base_url
        self._keeper = keeper
        self._context = context
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=timeout, sock_connect=timeout, sock_read=read_timeout
        )
        self.read_timeout = read_timeout
        self._token_wait = timeout
        self._say = Once(say)
        self._most = most  # connections to Vertex AI at once; more requests wait for one
        self.kept = Kept()  # request bodies kept for a replay after a 401
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        queue = aiohttp.TraceConfig()  # says when a request waits for a free connection
        queue.on_connection_queued_start.append(_queued_start)
        queue.on_connection_queued_end.append(_queued_end)
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._most, enable_cleanup_closed=True),
            trace_configs=[queue],
            timeout=self._timeout,
            auto_decompress=False,  # the body goes back as Vertex sent it, encoding and all
            skip_auto_headers=("Accept-Encoding", "User-Agent", "Content-Type"),
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(
        self,
        method: str,
        tail: str,
        headers: CIMultiDict[str],
        body: Body,
        model: str | None = None,
    ) -> Answer:
        """`method` to `{base}/{tail}` with a Google token, sent again once with the next
        token after a 401 when `body` can be replayed; Failed when no answer came. `model`:
        the one the request names, for explaining a failure."""
        url = URL(f"{self._base}/{tail}", encoded=True)
        if self._keeper.quota_project:
            headers[QUOTA_HEADER] = self._keeper.quota_project
        started = time.monotonic()
        _queued.set(False)
        deadline = started + self._token_wait  # for a token, when there is none to hand
        try:
            token = await self._keeper.token(deadline)
            response = await self._request(method, url, headers, body, token)
            if response.status == 401 and isinstance(body, bytes):
                try:
                    renewed = await self._keeper.renewed(token, deadline)
                except BaseException:
                    response.release()
                    raise
                if renewed is not None:  # else the 401 goes back as Vertex sent it
                    response.release()
                    response = await self._request(method, url, headers, body, renewed)
        except Unavailable as exc:
            self.explain_once(str(exc), None)
            raise Failed(refusals.no_token(str(exc))) from None
        except asyncio.TimeoutError:
            if _queued.get():
                raise Failed(self._busy()) from None
            self._diagnose(Reply(0, {}, time.monotonic() - started, "timed out"), str(url))
            raise Failed(refusals.timed_out(self.read_timeout)) from None
        except aiohttp.ClientError as exc:
            if _out_of_files(exc):
                raise Failed(self._busy(out_of_files=True)) from None
            said = _unreached(exc)
            self._diagnose(Reply(0, {}, time.monotonic() - started, said), str(url))
            raise Failed(refusals.unreachable(said)) from None
        if response.status < 400:
            return Answer(response, b"", False, started)
        try:
            head, whole = await read_up_to(response.content.readany, DIAGNOSIS_LIMIT)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            response.release()
            raise Failed(self.broken_off(exc)) from None
        shown = unquoted(response.status, error_json(head))
        reply = Reply(response.status, shown, time.monotonic() - started)
        if response.status == 404 and tail.partition("?")[0] not in SERVED:
            problem = self._unserved(tail)
        else:
            problem = self._diagnose(reply, str(url), model)
        return Answer(response, head, whole, started, problem)

    async def _request(
        self, method: str, url: URL, headers: CIMultiDict[str], body: Body, token: str
    ) -> aiohttp.ClientResponse:
        assert self._session is not None
        headers["Authorization"] = f"Bearer {token}"
        return await self._session.request(
            method, url, headers=headers, data=body or None, allow_redirects=False
        )

    async def whole_json(self, answer: Answer) -> object:
        """A successful answer's JSON body; Failed when it breaks off or is not JSON."""
        try:
            return json.loads(await answer.read())
        except ValueError:
            raise Failed(
                refusals.refusal(502, "upstream_error", "Vertex AI sent no JSON")
            ) from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise Failed(self.broken_off(exc)) from None

    def broken_off(self, exc: Exception) -> web.Response:
        """Explain an answer that broke off; what its client gets when nothing was sent yet."""
        self.explain_once(f"an answer from Vertex AI broke off: {reason(exc)}", None)
        return refusals.unreachable(reason(exc))

    def _diagnose(self, reply: Reply, url: str, model: str | None = None) -> VertexEnvError:
        context = self._context(url)
        if model and context.target.kind == "model":
            context = context._replace(target=Target("model", model))
        problem: VertexEnvError = explain(reply, context)
        self.explain_once(problem.message, problem.fix)
        return problem

    def _unserved(self, tail: str) -> VertexEnvError:
        path = tail.partition("?")[0][:80]
        problem = VertexEnvError(
            f"Vertex AI's OpenAI-compatible endpoint does not serve /v1/{path}: it serves "
            "/v1/chat/completions and /v1/embeddings, and the gateway itself answers "
            "/v1/responses, /v1/completions and /v1/models"
        )
        self.explain_once(problem.message, None)
        return problem

    def explain_once(self, message: str, fix: str | None) -> None:
        """A diagnosis on stderr, once per kind: the first 403 says all the next ones would."""
        self._say(f"{message} (fix: {fix})" if fix else message)

    def _busy(self, out_of_files: bool = False) -> web.Response:
        """The answer when no connection to Vertex AI could be had: the gateway's own limit
        (or the system's), not the network."""
        message = (
            "the gateway is busy: it has run out of open files (too many connections at "
            "once); try again in a moment"
            if out_of_files
            else f"the gateway is busy: {self._most} requests to Vertex AI are in flight, as "
            "many as its open-file limit allows; try again in a moment"
        )
        self.explain_once(message, "fewer requests at once, or a higher `ulimit -n`")
        return refusals.busy(message)


async def _queued_start(*_: object) -> None:
    _queued.set(True)


async def _queued_end(*_: object) -> None:
    _queued.set(False)


def mark_broke_off(broken: bool = True) -> None:
    """Note that the answer to the request being handled broke off (or, at its start, not)."""
    _broke_off.set(broken)


def broke_off() -> bool:
    """Whether the answer to the request being handled broke off."""
    return _broke_off.get()


def _out_of_files(exc: BaseException) -> bool:
    """Whether `exc` comes from running out of file descriptors (EMFILE, ENFILE)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in OUT_OF_FILES:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def unquoted(status: int, body: dict[str, Any]) -> dict[str, Any]:
    """An error body fit to explain on stderr: for a status that needs it to be explained
    (a 400, say), Vertex's message, which may quote the request, replaced by its status word."""
    error = body.get("error")
    if status in _NAMED or status >= 500 or not isinstance(error, dict):
        return body
    word = error.get("status")
    kept = {**error, "message": word if isinstance(word, str) else ""}
    return {**body, "error": kept}


def error_json(raw: bytes) -> dict[str, Any]:
    """An error body as `diagnose` reads it; Vertex's OpenAI endpoint wraps it in a list."""
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    if isinstance(parsed, list) and len(parsed) == 1:
        parsed = parsed[0]
    return parsed if isinstance(parsed, dict) else {}


def _unreached(exc: aiohttp.ClientError) -> str:
    """Why Vertex could not be reached, in words: a refused connection names its address and
    the system's reason, not Python's tuple (`Connect call failed ('127.0.0.1', 443)`)."""
    if isinstance(exc, aiohttp.ClientConnectorError) and exc.os_error.errno:
        return f"cannot connect to {exc.host}:{exc.port}: {os.strerror(exc.os_error.errno)}"
    return reason(exc)
