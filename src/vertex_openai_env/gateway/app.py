"""The aiohttp application: the key check and the request log around every route; the
routes the gateway answers itself, then the catch-all that forwards the rest to Vertex AI.

A new route the gateway answers itself (a translated API, say) is one `add_*` line here,
before the catch-all, and a handler in a module of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler

from ..durations import spoken
from . import completions, refusals, relay
from .connections import Connections
from .key import KeyCheck
from .models import LIST, Models
from .responses import Responses
from .upstream import Upstream, broke_off, mark_broke_off

CLIENT_LEFT = 499  # as nginx logs it: the client closed the connection before the answer
FORWARDED = frozenset(("GET", "POST", "DELETE"))  # the methods the OpenAI API uses


class Tally:
    """What the gateway did, for the line it says when it stops."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.requests = 0
        self.errors = 0  # answered 4xx or 5xx, by the gateway or by Vertex
        self.stopping = False  # set when the gateway stops: requests cut are not the client's

    def count(self, status: int, broke_off: bool = False) -> None:
        self.requests += 1
        self.errors += status >= 400 or broke_off

    def summary(self) -> str:
        uptime = spoken(int(time.monotonic() - self.started))
        requests = f"{self.requests} request{'' if self.requests == 1 else 's'}"
        return f"stopped after {uptime}: {requests}, {self.errors} answered with an error"


def application(
    key_check: KeyCheck,
    connections: Callable[[], Connections | None],
    upstream: Upstream,
    models: Models,
    responses: Responses,
    tally: Tally,
    log: Callable[[str], None] | None,
) -> web.Application:
    """The gateway's routes, each behind the request log and the key check."""

    @web.middleware
    async def logged(request: web.Request, handler: Handler) -> web.StreamResponse:
        """One line per request: method, path, status (and whether the answer broke off),
        milliseconds; never a header, the query or a body."""
        started = time.monotonic()
        status = CLIENT_LEFT
        mark_broke_off(False)  # a connection kept alive serves its requests in one task
        guard = connections()
        if guard is not None:
            guard.begun(request.protocol)
        try:
            response = await handler(request)
            status = response.status
            return response
        finally:
            if guard is not None:
                guard.ended(request.protocol)
            cut = broke_off()
            tally.count(status, cut)
            if log is not None:
                ms = (time.monotonic() - started) * 1000
                said = f"{status} broke off" if cut else str(status)
                if status == CLIENT_LEFT and tally.stopping:
                    said = "cut at shutdown"
                log(f"{request.method} {request.path[:200]} {said} {ms:.0f}ms")

    @web.middleware
    async def keyed(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Nothing goes further, nor to Google, without the local key."""
        headers = request.headers
        if not key_check.admits(headers.get("Authorization"), headers.get("api-key")):
            return refusals.wrong_key()
        return await handler(request)

    async def listed(request: web.Request) -> web.StreamResponse:
        found = models.listed(request.path)
        if found is None:
            return refusals.unknown_model(request.match_info["id"])
        return web.Response(body=found, content_type="application/json")

    async def forwarded(request: web.Request) -> web.StreamResponse:
        raw_path = request.raw_path
        if not raw_path.startswith("/"):
            return refusals.absolute_form()
        tail = relay.tail_of(raw_path)
        if tail is None:
            path = request.path
            return refusals.bad_path() if path.startswith("/v1/") else refusals.not_found(path)
        if not tail.partition("?")[0]:
            return refusals.not_found(request.path)
        if request.method not in FORWARDED:
            return refusals.wrong_method(request.method, sorted(FORWARDED))
        return await relay.forward(upstream, models, request, tail)

    async def anonymous(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.popall("Server", None)  # no versions for a prober to read

    app = web.Application(middlewares=[logged, keyed])
    app.on_response_prepare.append(anonymous)
    app.router.add_get(LIST, listed, allow_head=False)
    app.router.add_get(LIST + "/{id:.+}", listed, allow_head=False)
    responses.add_routes(app.router)
    app.router.add_post(completions.PATH, completions.handler(upstream, models))
    app.router.add_route("*", "/{tail:.*}", forwarded)
    return app
