"""`/v1/responses`: the Responses API, answered by the gateway over Vertex's chat completions.

A response is kept in memory (`translate/store.py`) unless `store` is false, before its
stream says it is completed, so a client may continue from it at once; thought signatures
are kept whatever `store` says. Nothing is kept across a restart.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from . import refusals, translated
from .models import Models
from .translate.inputs import Lookup
from .translate.items import Assembler, Event, whole
from .translate.problems import Unsendable
from .translate.request import Plan, chat_request
from .translate.response import Shell, listed_input, responses_usage, terminal_event
from .translate.store import Signatures, Store
from .upstream import Answer, Failed, Upstream, mark_broke_off

Json = dict[str, Any]
PATH = "/v1/responses"


class Responses:
    """The routes under /v1/responses, and what they remember."""

    def __init__(self, upstream: Upstream, models: Models, store: Store | None = None) -> None:
        self._upstream = upstream
        self._models = models
        self.store = store or Store()
        self.signatures = Signatures()

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post(PATH, self.create)
        router.add_get(PATH + "/{id}", self.retrieve, allow_head=False)
        router.add_delete(PATH + "/{id}", self.delete)
        router.add_get(PATH + "/{id}/input_items", self.input_items, allow_head=False)
        router.add_route("*", PATH + "/{rest:.*}", self.unserved)

    async def create(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await translated.json_body(request)
            plan, shell = self._plan(body)
        except Unsendable as problem:
            return translated.refused(problem)
        try:
            answer = await translated.send_chat(self._upstream, plan.chat, plan.stream)
        except Failed as failed:
            return failed.reply
        try:
            if answer.status >= 400:
                return translated.vertex_error(answer)
            if plan.stream:
                return await self._stream(request, answer, plan, shell)
            completion = await self._upstream.whole_json(answer)
        except Failed as failed:
            return failed.reply
        finally:
            answer.response.release()
        assembler = Assembler(plan.tools)
        try:
            translated.read(lambda found: assembler.feed(whole(found)), completion)
        except translated.Broken as broken:
            return refusals.refusal(502, "upstream_error", broken.message)
        assembler.close()
        return web.json_response(self._keep(assembler, plan, shell))

    def _plan(self, body: object) -> tuple[Plan, Shell]:
        model = translated.model_of(body)
        assert isinstance(body, dict)
        previous: list[object] = []
        previous_id = body.get("previous_response_id")
        if previous_id is not None:
            record = self.store.get(str(previous_id))
            if record is None:
                raise Unsendable(
                    f"response {str(previous_id)[:80]} is not kept by the gateway: it keeps "
                    f"{self.store.describe()}, in memory; resend the whole input, or set "
                    "store to false and send it each time",
                    "previous_response_id",
                    "previous_response_not_found",
                )
            previous = record.items
        upstream_model = self._models.upstream(model)
        gemini = upstream_model.startswith("google/gemini")
        lookup = Lookup(self.store.item, self.signatures.get, gemini)
        plan = chat_request(body, upstream_model, previous, lookup)
        return plan, Shell(body, None if previous_id is None else str(previous_id))

    async def _stream(
        self, request: web.Request, answer: Answer, plan: Plan, shell: Shell
    ) -> web.StreamResponse:
        out = _Events(await translated.event_stream(request))
        created = shell.response("in_progress")
        await out.send([("response.created", {"response": created}),
                        ("response.in_progress", {"response": created})])  # fmt: skip
        assembler = Assembler(plan.tools)
        try:
            async for chunk in translated.chunks(self._upstream, answer):
                await out.send(translated.read(assembler.feed, chunk))
            await out.send(assembler.close())
            final = self._keep(assembler, plan, shell)  # before the client hears it is done
            await out.send([(terminal_event(final), {"response": final})])
        except translated.Broken as broken:
            self.signatures.add(assembler.signatures)
            error = {"code": broken.code, "message": broken.message}
            usage = responses_usage(assembler.usage)
            failed = shell.response("failed", assembler.finished, usage, error)
            await out.send([("response.failed", {"response": failed})])
            mark_broke_off()
        await out.response.write_eof()
        return out.response

    def _keep(self, assembler: Assembler, plan: Plan, shell: Shell) -> Json:
        """The final Response; kept when `store` allows, and its calls' signatures."""
        self.signatures.add(assembler.signatures)
        response = shell.ended(assembler.items, assembler.finish_reason, assembler.usage)
        if plan.store:
            size = len(json.dumps([plan.items, response]))
            inputs = [listed_input(item) for item in plan.inputs]
            self.store.put(response, [*plan.items, *response["output"]], inputs, size)
        return response

    async def retrieve(self, request: web.Request) -> web.StreamResponse:
        record = self.store.get(request.match_info["id"])
        if record is None:
            return self._not_kept(request.match_info["id"])
        return web.json_response(record.response)

    async def delete(self, request: web.Request) -> web.StreamResponse:
        rid = request.match_info["id"]
        if not self.store.delete(rid):
            return self._not_kept(rid)
        return web.json_response({"id": rid, "object": "response", "deleted": True})

    async def input_items(self, request: web.Request) -> web.StreamResponse:
        record = self.store.get(request.match_info["id"])
        if record is None:
            return self._not_kept(request.match_info["id"])
        data = record.inputs
        ids = [item.get("id") for item in data if isinstance(item, dict)] or [None]
        listing = {"object": "list", "data": data, "has_more": False}
        return web.json_response({**listing, "first_id": ids[0], "last_id": ids[-1]})

    async def unserved(self, request: web.Request) -> web.StreamResponse:
        path = request.path[:100]
        return refusals.refusal(
            404, "not_found", f"the gateway does not serve {request.method} {path} (nor Vertex AI)"
        )

    def _not_kept(self, rid: str) -> web.Response:
        return refusals.refusal(
            404,
            "not_found",
            f"response {rid[:80]} is not kept by the gateway: it keeps {self.store.describe()}, "
            "in memory, and forgets them when it stops",
        )


class _Events:
    """Events written as server-sent events, numbered from 0, each batch in one write."""

    def __init__(self, response: web.StreamResponse) -> None:
        self.response = response
        self._next = 0

    async def send(self, events: list[Event]) -> None:
        if not events:
            return
        frames = []
        for kind, payload in events:
            data = json.dumps({"type": kind, "sequence_number": self._next, **payload})
            frames.append(f"event: {kind}\ndata: {data}\n\n")
            self._next += 1
        await self.response.write("".join(frames).encode())
