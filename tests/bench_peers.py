"""The gateway benchmark's peers, each run as its own process:

    python -m tests.bench_peers upstream PORT                 a fast stand-in for Vertex AI
    python -m tests.bench_peers floor PORT UPSTREAM TOKEN     the reference proxy (the floor)

The upstream answers every POST with one fixed chat completion, or, for a body asking
for `"stream": true`, with SSE events: the first at once, the rest STREAM_GAP apart.
The floor is the least a Python gateway can do: aiohttp, one keep-alive session, the
answer streamed back as it comes, a fixed token. What `serve` adds (the key check, fresh
tokens, the 401 retry, diagnoses, a line per request) is measured against it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys

import aiohttp
from aiohttp import web

STREAM_GAP = 0.02
REPLY = json.dumps({
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 0,
    "model": "google/gemini-2.5-flash",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": "Hello from the bench"}}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
}).encode()  # fmt: skip
EVENT = b'data: {"object": "chat.completion.chunk", "choices": [{"delta": {"content": "x"}}]}\n\n'
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "trailer", "host",
       "content-length", "authorization", "proxy-authorization", "proxy-connection"}  # fmt: skip


async def answer(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    if b'"stream": true' not in body:
        return web.Response(body=REPLY, content_type="application/json")
    response = web.StreamResponse(headers={"content-type": "text/event-stream"})
    await response.prepare(request)
    for index in range(5):
        if index:
            await asyncio.sleep(STREAM_GAP)
        await response.write(EVENT)
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


def floor(upstream: str, token: str) -> web.Application:
    session: list[aiohttp.ClientSession] = []

    async def start(app: web.Application) -> None:
        connector = aiohttp.TCPConnector(limit=0)
        session.append(aiohttp.ClientSession(connector=connector, auto_decompress=False))

    async def stop(app: web.Application) -> None:
        await session[0].close()

    async def proxy(request: web.Request) -> web.StreamResponse:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        headers["Authorization"] = f"Bearer {token}"
        url = upstream + request.raw_path[len("/v1") :]
        body = await request.read()
        async with session[0].request(
            request.method, url, headers=headers, data=body, allow_redirects=False
        ) as reply:
            back = {k: v for k, v in reply.headers.items() if k.lower() not in HOP}
            response = web.StreamResponse(status=reply.status, headers=back)
            await response.prepare(request)
            async for chunk in reply.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response

    app = web.Application()
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    app.router.add_route("*", "/v1/{tail:.*}", proxy)
    return app


if __name__ == "__main__":
    # wrk drops its connections at the end of a run, mid-request: not worth a traceback.
    logging.getLogger("aiohttp").setLevel(logging.CRITICAL)
    role, port = sys.argv[1], int(sys.argv[2])
    if role == "upstream":
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", answer)
    else:
        app = floor(sys.argv[3], sys.argv[4])
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)
