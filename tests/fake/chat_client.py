"""A bare client for the stand-in's own tests: chat bodies, one request, its SSE events.

Plain `http.client`, so that what goes out is exactly what the test wrote (no SDK adds or
drops a field or a header).
"""

from __future__ import annotations

import http.client
import json
from typing import Any

from tests.fake.server import Json
from tests.fake.tokens import Issuer

CHAT = "/v1beta1/projects/my-proj/locations/us-central1/endpoints/openapi/chat/completions"
HI = [{"role": "user", "content": "hi"}]
BASE: Json = {"model": "google/gemini-2.5-flash", "messages": HI}
GEMINI_3 = "google/gemini-3-pro-preview"


def tool(name: str, **properties: str) -> Json:
    """A function tool whose properties (all required) have these JSON types."""
    schema = {key: {"type": kind} for key, kind in properties.items()}
    parameters = {"type": "object", "properties": schema, "required": list(properties)}
    return {"type": "function", "function": {"name": name, "parameters": parameters}}


def called(name: str, call_id: str = "call_fake_1", signature: str | None = None) -> Json:
    """An assistant message with one call, as a client sends it back."""
    call: Json = {"id": call_id, "type": "function", "function": {"name": name, "arguments": "{}"}}
    if signature:
        call["extra_content"] = {"google": {"thought_signature": signature}}
    return {"role": "assistant", "content": None, "tool_calls": [call]}


def answered(call_id: str = "call_fake_1", content: str = "done") -> Json:
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def post(
    google: Issuer, body: Json | bytes, headers: list[tuple[str, str]] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One chat request with a token the fake issued; the answer (an SSE body whole)."""
    token, _ = google.issue()
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    connection = http.client.HTTPConnection("127.0.0.1", google.port, timeout=10)
    connection.putrequest("POST", CHAT, skip_accept_encoding=True)
    sent = [("Authorization", f"Bearer {token}"), ("Content-Type", "application/json")]
    for name, value in [*sent, *(headers or []), ("Content-Length", str(len(data)))]:
        connection.putheader(name, value)
    connection.endheaders(data)
    reply = connection.getresponse()
    answer = reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read()
    connection.close()
    return answer


def events(body: bytes) -> list[Any]:
    """The `data:` payloads of an SSE body, `[DONE]` kept as the string."""
    frames = [frame for frame in body.split(b"\n\n") if frame]
    assert all(frame.startswith(b"data: ") for frame in frames)
    return [
        frame[6:].decode() if frame == b"data: [DONE]" else json.loads(frame[6:])
        for frame in frames
    ]


def answer(google: Issuer, /, **body: Any) -> Json:
    """The message of a non-stream answer to BASE with these keys."""
    status, _, data = post(google, {**BASE, **body})
    assert status == 200, data
    return dict(json.loads(data)["choices"][0]["message"])
