"""`POST /v1/completions`: the legacy Completions API, answered over Vertex's chat completions."""

from __future__ import annotations

import json

from aiohttp import web
from aiohttp.typedefs import Handler

from . import refusals, translated
from .models import Models
from .translate import legacy
from .translate.items import whole
from .translate.problems import Unsendable
from .upstream import Failed, Upstream, mark_broke_off

PATH = "/v1/completions"


def handler(upstream: Upstream, models: Models) -> Handler:
    """The route's handler, for `upstream` and `models`."""

    async def complete(request: web.Request) -> web.StreamResponse:
        try:
            body = await translated.json_body(request)
            model = translated.model_of(body)
            chat = legacy.chat_request(body, models.upstream(model))
        except Unsendable as problem:
            return translated.refused(problem)
        stream = chat.get("stream") is True
        try:
            answer = await translated.send_chat(upstream, chat, stream)
        except Failed as failed:
            return failed.reply
        try:
            if answer.status >= 400:
                return translated.vertex_error(answer)

            def text(chunk: object) -> dict[str, object]:
                return legacy.completion(whole(chunk), model)

            if not stream:
                completion = await upstream.whole_json(answer)
                try:
                    return web.json_response(translated.read(text, completion))
                except translated.Broken as broken:
                    return refusals.refusal(502, "upstream_error", broken.message)
            out = await translated.event_stream(request)
            try:
                async for chunk in translated.chunks(upstream, answer):
                    data = json.dumps(translated.read(text, chunk))
                    await out.write(f"data: {data}\n\n".encode())
            except translated.Broken:
                mark_broke_off()
                if request.transport is not None:
                    request.transport.close()  # a clean end would pass the cut answer as whole
                return out
            await out.write(b"data: [DONE]\n\n")
            await out.write_eof()
            return out
        except Failed as failed:
            return failed.reply
        finally:
            answer.response.release()

    return complete
