"""`POST /v1/completions`: the legacy Completions API, answered over Vertex's chat completions."""

from __future__ import annotations

import json

from aiohttp import web
from aiohttp.typedefs import Handler

from . import translated
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
            if not stream:
                completion = await upstream.whole_json(answer)
                return web.json_response(legacy.completion(whole(completion), model))
            out = await translated.event_stream(request)
            try:
                async for chunk in translated.chunks(upstream, answer):
                    data = json.dumps(legacy.completion(chunk, model))
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
