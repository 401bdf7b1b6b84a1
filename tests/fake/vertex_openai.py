"""Vertex AI's OpenAI-compatible endpoints: chat completions and embeddings.

`POST /{v1,v1beta1}/projects/P/locations/L/endpoints/E/chat/completions` wants a token the
fake issued (else a 401). On `E = openapi` (Gemini, MaaS) it refuses what Vertex refuses
(`chat_rules`: a 400 listed as `chat_errors` shows), then answers the way Gemini does
(`chat_answers`). Every POST to a chat path with a valid token lands in `chats`, whoever
answers it, the route or a fault: `Call.raw_headers` and `Call.body` are what came.

Switches, as attributes:
- `stream_chunks` (5), `stream_gap` (0.1 s): a streamed text goes out in up to this many
  SSE events, this far apart (the plain answer "Hello from MODEL in PROJECT/LOCATION" is
  five words: five events).
- `preamble` (""): in a tool turn, say this before the call, in the same answer (in a
  stream, its text chunks come first), as Gemini sometimes does.
- `parallel_calls` (False): a tool turn answers two calls to the chosen tool, each in a
  chunk of its own with its own id (`call_fake_N`, `call_fake_N+1`); only the first is signed.
- `call_index_zero` (False): streamed tool calls carry `index: 0`, every one of them,
  instead of no `index` at all.
- `call_namespaced` (False): call the first tool named like a flattened namespace
  (`ns__name`) before the usual preference (`exec_command`, `apply_patch`, `get_weather`).
- `cached_tokens`, `reasoning_tokens` (None): when set, the usage carries
  `prompt_tokens_details.cached_tokens` / `completion_tokens_details.reasoning_tokens`
  with that value; when None the field is absent.
The usage goes in every non-stream answer, and in a stream only when the request says
`stream_options: {include_usage: true}` (a last chunk with `choices: []`), as Vertex does.

Faults for `fail_next(CHAT_PATH, …)`: `cut_stream()` and `finish_length()` here;
`chat_error`, `quoting_error` (chat_errors) and `not_found_page` (server).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import struct
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from tests.fake.chat_answers import chunks, completion, plan
from tests.fake.chat_errors import refused
from tests.fake.chat_rules import dig, refusal
from tests.fake.server import Call, Disconnect, Fault, Json, Reply, Route, json_reply
from tests.fake.tokens import Issuer

_PLACE = r"/(?P<version>v1|v1beta1)/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
CHAT = re.compile(f"{_PLACE}/endpoints/(?P<endpoint>[^/]+)/chat/completions")
EMBEDDINGS = re.compile(f"{_PLACE}/endpoints/(?P<endpoint>[^/]+)/embeddings")
_SSE = {"content-type": "text/event-stream", "cache-control": "no-cache"}
_INVALID_TOKEN = {"error": {"code": 401, "message": "invalid token"}}


@dataclass
class VertexOpenAI(Issuer):
    """Chat completions and embeddings; the switches are in the module's docstring."""

    chats: list[Call] = field(default_factory=list)
    stream_chunks: int = 5
    stream_gap: float = 0.1
    preamble: str = ""
    parallel_calls: bool = False
    call_index_zero: bool = False
    call_namespaced: bool = False
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    signatures: set[str] = field(default_factory=set)  # the thought signatures given out
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def vertex_openai_routes(self) -> Iterator[Route]:
        yield "POST", CHAT, self._chat
        yield "POST", EMBEDDINGS, self._embeddings

    def cut_stream(self) -> Fault:
        """A fault: the usual answer, broken off after its first chunk. A stream sends its
        first event and closes the connection without the terminating chunk; a whole
        answer sends half its body under the full content-length."""

        def cut(call: Call) -> Reply:
            status, headers, body = self._route(call)
            if status != 200:
                return status, headers, body
            if isinstance(body, bytes):
                whole = {**headers, "content-length": str(len(body)), "connection": "close"}
                return status, whole, body[: len(body) // 2]
            return status, headers, _first_only(body)

        return cut

    def finish_length(self) -> Fault:
        """A fault: the usual answer with `finish_reason: "length"` (out of output tokens)."""
        return lambda call: self._route(call, finish="length")

    def _received(self, call: Call) -> None:
        super()._received(call)
        if call.method == "POST" and CHAT.fullmatch(call.path) and self.valid(call.bearer):
            self.chats.append(call)

    def _chat(
        self,
        call: Call,
        version: str,
        project: str,
        location: str,
        endpoint: str,
        finish: str | None = None,
    ) -> Reply:
        if not self.valid(call.bearer):
            return json_reply(401, _INVALID_TOKEN)
        problem = refusal(call, self.signatures) if endpoint == "openapi" else None
        if problem:
            return refused(problem)
        request = call.json()
        model = str(request.get("model", ""))
        answer = plan(
            request,
            f"Hello from {model or endpoint} in {project}/{location}",
            self.stream_chunks,
            lambda: next(self._numbers),
            preamble=self.preamble,
            parallel=self.parallel_calls,
            namespaced=self.call_namespaced,
        )
        if finish:
            answer = answer._replace(finish=finish)
        given = [dig(sent, "extra_content", "google", "thought_signature") for sent in answer.calls]
        self.signatures.update(str(signature) for signature in given if signature)
        if not request.get("stream"):
            return json_reply(200, completion(answer, model, self._usage()))
        usage = self._usage() if dig(request, "stream_options", "include_usage") is True else None
        return 200, dict(_SSE), self._paced(chunks(answer, model, usage, self.call_index_zero))

    def _usage(self) -> Json:
        usage: Json = {"prompt_tokens": 3, "completion_tokens": 7, "total_tokens": 10}
        if self.cached_tokens is not None:
            usage["prompt_tokens_details"] = {"cached_tokens": self.cached_tokens}
        if self.reasoning_tokens is not None:
            usage["completion_tokens_details"] = {"reasoning_tokens": self.reasoning_tokens}
        return usage

    def _paced(self, events: Iterable[Json]) -> Iterator[bytes]:
        """SSE events `stream_gap` seconds apart, then `[DONE]`."""
        for index, event in enumerate(events):
            if index:
                time.sleep(self.stream_gap)
            yield b"data: " + json.dumps(event).encode() + b"\n\n"
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


def _first_only(body: Iterable[bytes]) -> Iterator[bytes]:
    for chunk in body:
        yield chunk
        raise Disconnect
