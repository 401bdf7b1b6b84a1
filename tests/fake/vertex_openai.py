"""Vertex AI's OpenAI-compatible endpoints: chat completions and embeddings.

`POST /{v1,v1beta1}/projects/P/locations/L/endpoints/E/chat/completions` wants a token the
fake issued (else a 401). On `E = openapi` (Gemini, MaaS) it refuses what Vertex refuses
(`chat_rules`: a 400 listed as `chat_errors` shows). Every POST to a chat path with a valid
token lands in `chats`, whoever answers it, the route or a fault: `Call.raw_headers` and
`Call.body` are what came. A `"stream": true` chat answers in `stream_chunks` SSE events,
`stream_gap` seconds apart.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.fake.chat_errors import refused
from tests.fake.chat_rules import refusal
from tests.fake.server import Call, Reply, Route, json_reply
from tests.fake.tokens import Issuer

_PLACE = r"/(?P<version>v1|v1beta1)/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
CHAT = re.compile(f"{_PLACE}/endpoints/(?P<endpoint>[^/]+)/chat/completions")
EMBEDDINGS = re.compile(f"{_PLACE}/endpoints/(?P<endpoint>[^/]+)/embeddings")
_INVALID_TOKEN = {"error": {"code": 401, "message": "invalid token"}}


@dataclass
class VertexOpenAI(Issuer):
    """Chat completions and embeddings."""

    chats: list[Call] = field(default_factory=list)
    stream_chunks: int = 5  # a `"stream": true` chat answers in this many SSE events...
    stream_gap: float = 0.1  # ...this many seconds apart

    def vertex_openai_routes(self) -> Iterator[Route]:
        yield "POST", CHAT, self._chat
        yield "POST", EMBEDDINGS, self._embeddings

    def _received(self, call: Call) -> None:
        super()._received(call)
        if call.method == "POST" and CHAT.fullmatch(call.path) and self.valid(call.bearer):
            self.chats.append(call)

    def _chat(self, call: Call, version: str, project: str, location: str, endpoint: str) -> Reply:
        if not self.valid(call.bearer):
            return json_reply(401, _INVALID_TOKEN)
        problem = refusal(call, set()) if endpoint == "openapi" else None
        if problem:
            return refused(problem)
        request = call.json()
        model = request.get("model", "")
        text = f"Hello from {model or endpoint} in {project}/{location}"
        if request.get("stream"):
            headers = {"content-type": "text/event-stream", "cache-control": "no-cache"}
            return 200, headers, self._events(model, text)
        return json_reply(
            200,
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 3, "completion_tokens": 7, "total_tokens": 10},
            },
        )

    def _events(self, model: str, text: str) -> Iterator[bytes]:
        """The answer as `chat.completion.chunk` events, `stream_gap` seconds apart."""
        words = text.split(" ")
        size = -(-len(words) // self.stream_chunks)
        pieces = [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
        for index, piece in enumerate(pieces):
            if index:
                time.sleep(self.stream_gap)
            last = index == len(pieces) - 1
            piece += "" if last else " "  # the pieces add up to `text`, byte for byte
            chunk = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"role": "assistant", "content": piece},
                        "finish_reason": "stop" if last else None,
                    }
                ],
            }
            yield b"data: " + json.dumps(chunk).encode() + b"\n\n"
        yield b"data: [DONE]\n\n"

    def _embeddings(
        self, call: Call, version: str, project: str, location: str, endpoint: str
    ) -> Reply:
        if not self.valid(call.bearer):
            return json_reply(401, _INVALID_TOKEN)
        request = call.json()
        texts = request["input"] if isinstance(request["input"], list) else [request["input"]]
        data = []
        for index, text in enumerate(texts):
            vector = [float(len(text)), 0.5, -1.0]  # what a test can predict
            if request.get("encoding_format") == "base64":
                packed = struct.pack(f"<{len(vector)}f", *vector)
                data.append({"object": "embedding", "index": index,
                             "embedding": base64.b64encode(packed).decode()})  # fmt: skip
            else:
                data.append({"object": "embedding", "index": index, "embedding": vector})
        tokens = sum(len(text.split()) for text in texts)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return json_reply(
            200, {"object": "list", "data": data, "model": request.get("model"), "usage": usage}
        )
