"""The catch-all route: a request forwarded to Vertex AI byte for byte, and its answer
streamed back unchanged as it comes.

The same method, path tail, query and headers go on (less the hop-by-hop ones and the
client's key), with the model name as Vertex wants it (`models.py`). The body is kept
for replay up to `REPLAY_LIMIT`, for the one retry that follows a 401, while the bodies
kept fit `bodies.KEPT_LIMIT` together; any other body streams on and a 401 goes back as
it is. A body over `bodies.BODY_LIMIT`, or too slow, is refused (413, 408).
"""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from ..output.variables import QUOTA_HEADER
from .bodies import BodyRefused, Kept, Paced
from .models import Models
from .upstream import REPLAY_LIMIT, Answer, Body, Failed, Upstream, mark_broke_off

WHOLE_LIMIT = 1 << 16  # a reply this small arrives at once: it goes back in one write
# Hop-by-hop headers (RFC 9110 7.6.1) and what the gateway sets itself.
_HOP = frozenset(
    ("connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
     "te", "trailer", "trailers", "transfer-encoding", "upgrade")
)  # fmt: skip
_NOT_FORWARDED = _HOP | {"host", "content-length", "expect", "authorization", "api-key",
                         QUOTA_HEADER}  # fmt: skip


async def forward(
    upstream: Upstream, models: Models, request: web.Request, tail: str
) -> web.StreamResponse:
    """Send `request` on to `{base}/{tail}` and stream the answer back to its client."""
    kept = upstream.kept
    held = 0
    paced = Paced(request.content, request.content_length if request.body_exists else 0)
    try:
        paced.check()
        body, held = await _body(request, paced, kept)
        model = None
        if isinstance(body, bytes):
            body, model = models.rewritten(body)
        headers = _forwarded(request.headers)
        answer = await upstream.send(request.method, tail, headers, body, model)
    except Failed as failed:  # a body refused as it streamed may end the upload so
        return paced.refused.reply() if paced.refused else failed.reply
    except BodyRefused as refused:
        return refused.reply()
    finally:
        kept.release(held)
    try:
        return await _relay(upstream, request, answer)
    finally:
        answer.response.release()


async def _relay(upstream: Upstream, request: web.Request, answer: Answer) -> web.StreamResponse:
    """The answer to the client: a small one whole (one write, not two), any other as it
    arrives."""
    origin = answer.response
    headers = _returned(origin.headers)
    length = origin.content_length
    try:
        if length is not None and length <= WHOLE_LIMIT:
            body = await answer.read()
            del headers["Content-Length"]  # aiohttp counts the body itself
            return web.Response(
                status=origin.status, reason=origin.reason, headers=headers, body=body
            )
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        return upstream.broken_off(exc)
    response = web.StreamResponse(status=origin.status, reason=origin.reason, headers=headers)
    try:
        await response.prepare(request)
        if answer.head:
            await response.write(answer.head)
        if not answer.whole:
            async for chunk in origin.content.iter_any():
                await response.write(chunk)
        await response.write_eof()
    except ConnectionResetError:
        pass  # the client went away: nothing left to tell it
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        upstream.broken_off(exc)
        mark_broke_off()
        if request.transport is not None:
            request.transport.close()  # a clean end would pass the cut answer as whole
    return response


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


async def _body(request: web.Request, paced: Paced, kept: Kept) -> tuple[Body, int]:
    """The body whole when it fits `REPLAY_LIMIT` and `kept` (so it can be sent again),
    else a stream; and the bytes counted in `kept`, to release once it is sent."""
    if not request.body_exists:
        return b"", 0
    declared = request.content_length
    held = min(declared if declared is not None else REPLAY_LIMIT, REPLAY_LIMIT)
    if not kept.reserve(held):
        return paced.rest(b""), 0  # too many bodies kept already: this one streams on
    head, whole = await paced.up_to(REPLAY_LIMIT)
    if whole:
        return head, held
    return paced.rest(head), held
