"""The aiohttp application: the key check, `/v1/models` answered here, the rest forwarded,
and one line per request on stderr (method, path, status, milliseconds: never a header,
a query or a body)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from aiohttp import web

from ..durations import spoken
from ..settings.urls import Target
from . import refusals
from .key import Lock
from .upstream import Upstream, tail_of

MODELS = "/v1/models"
CLIENT_LEFT = 499  # as nginx logs it: the client closed the connection before the answer


class Tally:
    """What the gateway did, for the line it says when it stops."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.requests = 0
        self.errors = 0  # answered 4xx or 5xx, by the gateway or by Vertex

    def count(self, status: int) -> None:
        self.requests += 1
        self.errors += status >= 400

    def summary(self) -> str:
        uptime = spoken(int(time.monotonic() - self.started))
        requests = f"{self.requests} request{'' if self.requests == 1 else 's'}"
        return f"stopped after {uptime}: {requests}, {self.errors} answered with an error"


def application(
    lock: Lock,
    upstream: Upstream,
    target: Target,
    tally: Tally,
    log: Callable[[str], None] | None,
) -> web.Application:
    """The gateway's routes: everything goes through one handler, key check first."""
    listing = models(target)

    async def answer(request: web.Request) -> web.StreamResponse:
        headers = request.headers
        if not lock.opens(headers.get("Authorization"), headers.get("api-key")):
            return refusals.wrong_key()
        path = request.path
        found = listing.get(path) if request.method == "GET" else None
        if found is not None:
            return web.Response(body=found, content_type="application/json")
        tail = tail_of(request.raw_path)
        if tail is None:
            return refusals.bad_path() if path.startswith("/v1/") else refusals.not_found(path)
        return await upstream.forward(request, tail)

    async def handle(request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        status = CLIENT_LEFT
        try:
            response = await answer(request)
            status = response.status
            return response
        finally:
            tally.count(status)
            if log is not None:
                ms = (time.monotonic() - started) * 1000
                log(f"{request.method} {request.path[:200]} {status} {ms:.0f}ms")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


def models(target: Target) -> dict[str, bytes]:
    """`GET /v1/models` and `/v1/models/ID` in OpenAI's format: the configured target.

    Vertex has no such list on its OpenAI endpoint, and many clients ask for it first.
    """
    if not target.id:
        return {MODELS: json.dumps({"object": "list", "data": []}).encode()}
    if target.kind == "endpoint":
        owner = "vertex-ai-endpoint"
    else:
        publisher, slash, _ = target.id.partition("/")  # google/gemini-2.5-flash: google
        owner = publisher if slash else "vertex-ai"
    model = {"id": target.id, "object": "model", "created": 0, "owned_by": owner}
    return {
        MODELS: json.dumps({"object": "list", "data": [model]}).encode(),
        f"{MODELS}/{target.id}": json.dumps(model).encode(),
    }
