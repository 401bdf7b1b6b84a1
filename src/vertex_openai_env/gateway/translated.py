"""What the routes the gateway translates share: the client's JSON body read, a chat request
sent to Vertex AI, Vertex's errors answered in OpenAI's format, the chat stream read as
chunks, and events written whole.

Errors keep Vertex's words but take the status a client acts on rightly: a refused token
is 403 with the fix (401 would read as a wrong local key), a 5xx is 502 naming Vertex's
status (Codex hides a 500's body behind "high demand"), a 429 keeps `Retry-After`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import re
import zlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any, TypeVar

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from ..errors import reason
from . import refusals
from .bodies import Paced
from .translate import sse
from .translate.items import whole
from .translate.problems import Unsendable
from .upstream import REPLAY_LIMIT, Answer, Upstream, error_json

Json = dict[str, Any]
T = TypeVar("T")
_TOO_LONG = re.compile(r"exceeds the maximum number of tokens|input token count|too long", re.I)


class Broken(Exception):
    """A chat stream that ended before its end; the message says after what and why."""

    def __init__(self, message: str, code: str = "server_error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


async def json_body(request: web.Request) -> object:
    """The request's JSON body; Unsendable when it is too big, compressed oddly, or not JSON."""
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip", "deflate"):
        raise Unsendable(f"Content-Encoding {encoding[:20]} is not supported", status=415)
    paced = Paced(request.content, request.content_length)
    paced.check()
    raw, whole = await paced.up_to(REPLAY_LIMIT)
    try:
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        elif encoding == "deflate":
            raw = zlib.decompress(raw)
    except (OSError, zlib.error, EOFError):
        raise Unsendable(f"the body is not valid {encoding}") from None
    if not whole or len(raw) > REPLAY_LIMIT:
        raise Unsendable(
            f"the body is over {REPLAY_LIMIT >> 20} MiB, Vertex AI's limit", status=413
        )
    try:
        return json.loads(raw)
    except ValueError:
        raise Unsendable("the body is not JSON", code="invalid_json") from None


def refused(problem: Unsendable) -> web.Response:
    return refusals.refusal(problem.status, problem.code, problem.message, problem.param)


def model_of(body: object) -> str:
    model = body.get("model") if isinstance(body, dict) else None
    if not isinstance(model, str) or not model:
        raise Unsendable("model is missing", "model")
    return model


async def send_chat(upstream: Upstream, chat: Json, stream: bool) -> Answer:
    """`chat` to Vertex's chat completions, asking for a body not compressed (Failed when
    no answer came)."""
    headers = CIMultiDict(
        {
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if stream else "application/json",
            "Accept-Encoding": "identity",  # the gateway reads this answer, not only relays it
        }
    )
    body = json.dumps(chat).encode()
    return await upstream.send("POST", "chat/completions", headers, body, chat["model"])


def vertex_error(answer: Answer) -> web.Response:
    """Vertex's error answer to a translated request, in OpenAI's format."""
    status = answer.status
    found = error_json(answer.head).get("error")
    said = reason(found.get("message") or "", 1000) if isinstance(found, dict) else ""
    problem = answer.problem
    if status in (401, 403) and problem is not None:
        fix = f" (fix: {problem.fix})" if problem.fix else ""
        return refusals.refusal(403, "vertex_permission_denied", problem.message + fix)
    if status == 429:
        retry = answer.response.headers.get("Retry-After")
        headers = {"Retry-After": retry} if retry else None
        message = said or "Vertex AI is rate-limiting these requests"
        return refusals.refusal(429, "rate_limit_exceeded", message, headers=headers)
    if status >= 500:
        message = f"Vertex AI answered {status}" + (f": {said}" if said else "")
        return refusals.refusal(502, "upstream_error", message)
    message = said or (problem.message if problem is not None else f"Vertex AI answered {status}")
    if status == 404:
        return refusals.refusal(404, "model_not_found", message, "model")
    code = "context_length_exceeded" if _TOO_LONG.search(said) else "invalid_request"
    return refusals.refusal(status, code, message)


async def chunks(upstream: Upstream, answer: Answer) -> AsyncIterator[Json]:
    """The chat completion chunks of a streamed answer; Broken if it stops short (neither
    `[DONE]` nor a finish reason came). An answer that is one JSON body, though a stream was
    asked for, is one chunk."""
    events = sse.Events()
    count = 0
    finished = False
    try:
        if answer.response.content_type != "text/event-stream":
            yield whole(_chunk((await answer.read()).decode("utf-8", "replace"), 1))
            return
        async with contextlib.aclosing(_event_data(answer, events)) as received:
            async for data in received:
                if data == sse.DONE:
                    return
                count += 1
                chunk = _chunk(data, count)
                finished = finished or _finishes(chunk)
                yield chunk
    except asyncio.TimeoutError:
        raise _broken(upstream, count, f"no data for {upstream.read_timeout:g}s") from None
    except aiohttp.ClientError as exc:
        raise _broken(upstream, count, reason(exc)) from None
    if not finished:
        raise _broken(upstream, count, "it ended without finishing")


async def _event_data(answer: Answer, events: sse.Events) -> AsyncGenerator[str, None]:
    """The data of each server-sent event as the stream brings it, then what its end
    completes."""
    async for raw in answer.response.content.iter_any():
        for data in events.feed(raw):
            yield data
    for data in events.end():
        yield data


def read(translate: Callable[[Any], T], chunk: object) -> T:
    """`translate(chunk)`; Broken when the chunk is not shaped as a chat answer should be."""
    try:
        return translate(chunk)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise Broken(
            f"Vertex AI sent an answer the gateway cannot read ({type(exc).__name__})"
        ) from None


def _finishes(chunk: Json) -> bool:
    choices = chunk.get("choices") or []
    return any(isinstance(choice, dict) and choice.get("finish_reason") for choice in choices)


def _chunk(data: str, count: int) -> Json:
    try:
        chunk = json.loads(data)
    except ValueError:
        raise Broken(f"Vertex AI sent an event that is not JSON (event {count})") from None
    if not isinstance(chunk, dict):
        raise Broken(f"Vertex AI sent an event that is not an object (event {count})")
    error = chunk.get("error")
    if error:  # an error inside the stream: RESOURCE_EXHAUSTED, say
        said = error.get("message") if isinstance(error, dict) else error
        limited = "429" in str(error) or "RESOURCE_EXHAUSTED" in str(error)
        code = "rate_limit_exceeded" if limited else "server_error"
        raise Broken(f"Vertex AI stopped the answer: {reason(said, 600)}", code)
    return chunk


def _broken(upstream: Upstream, count: int, why: str) -> Broken:
    upstream.explain_once(f"an answer from Vertex AI broke off: {why}", None)
    plural = "" if count == 1 else "s"
    return Broken(f"Vertex AI stream broke off after {count} chunk{plural}: {why}")


async def event_stream(request: web.Request) -> web.StreamResponse:
    """A 200 answer of server-sent events, its headers sent."""
    response = web.StreamResponse(
        status=200, headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    return response
