"""Forwarding to Vertex AI: the same method, path tail, query and headers, a fresh Google
token, and the answer back unchanged, streamed both ways as it comes.

The request body is kept for replay up to `REPLAY_LIMIT`, for the one retry that follows
a 401; a larger body streams on and a 401 goes back as it is. Redirects are not followed.
A Vertex error is explained once on stderr by `vertex.diagnose`; bodies are never logged.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ..errors import VertexEnvError, reason
from ..output.variables import QUOTA_HEADER
from ..vertex.client import Reply
from ..vertex.diagnose import Context, explain
from . import refusals
from .keeper import TokenKeeper, Unavailable

REPLAY_LIMIT = 10 << 20  # Vertex AI's own limit on a request
DIAGNOSIS_LIMIT = 1 << 20  # an error body read whole, to explain it
WHOLE_LIMIT = 1 << 16  # a reply this small arrives at once: it goes back in one write
# Hop-by-hop headers (RFC 9110 7.6.1) and what the gateway sets itself.
_HOP = frozenset(
    ("connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
     "te", "trailer", "trailers", "transfer-encoding", "upgrade")
)  # fmt: skip
_NOT_FORWARDED = _HOP | {"host", "content-length", "expect", "authorization", "api-key",
                         QUOTA_HEADER}  # fmt: skip
Body = bytes | AsyncIterator[bytes]


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
    ) -> None:
        self._base = base_url
        self._keeper = keeper
        self._context = context
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=timeout, sock_connect=timeout, sock_read=read_timeout
        )
        self._read_timeout = read_timeout
        self._say = say
        self._said: set[str] = set()
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, enable_cleanup_closed=True),
            timeout=self._timeout,
            auto_decompress=False,  # the body goes back as Vertex sent it, encoding and all
            skip_auto_headers=("Accept-Encoding", "User-Agent", "Content-Type"),
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def forward(self, request: web.Request, tail: str) -> web.StreamResponse:
        """Send `request` on to `{base}/{tail}` and stream the answer back to its client."""
        url = URL(f"{self._base}/{tail}", encoded=True)
        headers = _forwarded(request.headers)
        if self._keeper.quota_project:
            headers[QUOTA_HEADER] = self._keeper.quota_project
        body = await _body(request)
        started = time.monotonic()
        try:
            token = await self._keeper.token()
            answer = await self._send(request.method, url, headers, body, token)
            if answer.status == 401 and isinstance(body, bytes):
                answer.release()
                token = await self._keeper.renewed(token)
                answer = await self._send(request.method, url, headers, body, token)
        except Unavailable as exc:
            self._explain_once(str(exc), None)
            return refusals.no_token(str(exc))
        except asyncio.TimeoutError:
            self._diagnose(Reply(0, {}, time.monotonic() - started, "timed out"), str(url))
            return refusals.timed_out(self._read_timeout)
        except aiohttp.ClientError as exc:
            problem = reason(exc)
            self._diagnose(Reply(0, {}, time.monotonic() - started, problem), str(url))
            return refusals.unreachable(problem)
        try:
            return await self._relay(request, answer, started, str(url))
        finally:
            answer.release()

    async def _send(
        self, method: str, url: URL, headers: CIMultiDict[str], body: Body, token: str
    ) -> aiohttp.ClientResponse:
        assert self._session is not None
        headers["Authorization"] = f"Bearer {token}"
        return await self._session.request(
            method, url, headers=headers, data=body or None, allow_redirects=False
        )

    async def _relay(
        self, request: web.Request, answer: aiohttp.ClientResponse, started: float, url: str
    ) -> web.StreamResponse:
        """The answer to the client: a small one whole (one write, not two), any other as it
        arrives; an error is read whole first, to explain it."""
        headers = _returned(answer.headers)
        length = answer.content_length
        try:
            if length is not None and length <= WHOLE_LIMIT:
                body = await answer.read()
                self._explain_failure(answer, body, started, url)
                del headers["Content-Length"]  # aiohttp counts the body itself
                return web.Response(
                    status=answer.status, reason=answer.reason, headers=headers, body=body
                )
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return self._broken_off(exc)
        response = web.StreamResponse(status=answer.status, reason=answer.reason, headers=headers)
        try:
            first = b""
            if answer.status >= 400:
                first, _ = await _read_up_to(answer.content, DIAGNOSIS_LIMIT)
                self._explain_failure(answer, first, started, url)
            await response.prepare(request)
            if first:
                await response.write(first)
            async for chunk in answer.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
        except ConnectionResetError:
            pass  # the client went away: nothing left to tell it
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            if not response.prepared:
                return self._broken_off(exc)
            self._broken_off(exc)
            if request.transport is not None:
                request.transport.close()  # a clean end would pass the cut answer as whole
        return response

    def _broken_off(self, exc: Exception) -> web.Response:
        self._explain_once(f"an answer from Vertex AI broke off: {reason(exc)}", None)
        return refusals.unreachable(reason(exc))

    def _explain_failure(
        self, answer: aiohttp.ClientResponse, body: bytes, started: float, url: str
    ) -> None:
        if answer.status >= 400:
            self._diagnose(Reply(answer.status, _json(body), time.monotonic() - started), url)

    def _diagnose(self, reply: Reply, url: str) -> None:
        problem: VertexEnvError = explain(reply, self._context(url))
        self._explain_once(problem.message, problem.fix)

    def _explain_once(self, message: str, fix: str | None) -> None:
        """A diagnosis on stderr, once per kind: the first 403 says all the next ones would."""
        line = f"{message} (fix: {fix})" if fix else message
        if line not in self._said:
            self._said.add(line)
            self._say(line)


def tail_of(raw_path: str) -> str | None:
    """What follows `/v1/` in a raw path (query kept), or None for a path that could climb
    out of the base URL: `.` or `..` segments, encoded slashes or backslashes."""
    path, _, query = raw_path.partition("?")
    if not path.startswith("/v1/"):
        return None
    tail = path[len("/v1/") :]
    for segment in tail.split("/"):
        lowered = segment.lower()
        if lowered.replace("%2e", ".") in (".", "..") or "\\" in segment:
            return None
        if "%2f" in lowered or "%5c" in lowered:
            return None
    return f"{tail}?{query}" if query else tail


def _forwarded(headers: CIMultiDictProxy[str]) -> CIMultiDict[str]:
    dropped = _NOT_FORWARDED
    if "connection" in headers:  # it may name more hop-by-hop headers
        named = ",".join(headers.getall("connection")).split(",")
        dropped = dropped.union(name.strip().lower() for name in named)
    return CIMultiDict(
        [(name, value) for name, value in headers.items() if name.lower() not in dropped]
    )


def _returned(headers: CIMultiDictProxy[str]) -> CIMultiDict[str]:
    return CIMultiDict((name, value) for name, value in headers.items() if name.lower() not in _HOP)


async def _body(request: web.Request) -> Body:
    """The body whole when it fits `REPLAY_LIMIT` (so it can be sent again), else a stream."""
    if not request.body_exists:
        return b""
    head, whole = await _read_up_to(request.content, REPLAY_LIMIT)
    if whole:
        return head

    async def rest() -> AsyncIterator[bytes]:
        yield head
        async for chunk in request.content.iter_any():
            yield chunk

    return rest()


async def _read_up_to(content: aiohttp.StreamReader, limit: int) -> tuple[bytes, bool]:
    """What `content` holds, up to the chunk that passes `limit`; and whether that was all."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = await content.readany()
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), False


def _json(raw: bytes) -> dict[str, Any]:
    """An error body as `diagnose` reads it; Vertex's OpenAI endpoint wraps it in a list."""
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    if isinstance(parsed, list) and len(parsed) == 1:
        parsed = parsed[0]
    return parsed if isinstance(parsed, dict) else {}
