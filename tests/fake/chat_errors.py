"""Errors as Vertex's OpenAI endpoint sends them: a JSON list holding one Google error,

    [{"error": {"code": 400, "message": "...", "status": "INVALID_ARGUMENT"}}]

`chat_error` is a fault for `fail_next` with any status, optionally with `Retry-After` or
sent in chunks; `quoting_error` is the 400 whose message quotes the request's own text, as
Google's "Invalid value" messages do.
"""

from __future__ import annotations

import json

from tests.fake.chat_rules import content_text, dig
from tests.fake.server import Call, Fault, Json, Reply, json_reply

STATUS = {
    400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}  # fmt: skip
MESSAGES = {
    400: "Request contains an invalid argument.",
    429: "Resource exhausted. Please try again later. Please refer to "
    "https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
}


def listed_error(code: int, message: str) -> list[Json]:
    return [{"error": {"code": code, "message": message, "status": STATUS.get(code, "UNKNOWN")}}]


def refused(problem: str) -> Reply:
    """The endpoint's 400 for a request it will not take."""
    return json_reply(400, listed_error(400, problem))


def chat_error(
    code: int, message: str | None = None, *, retry_after: str | None = None, chunked: bool = False
) -> Fault:
    """A fault: this error as the endpoint sends it (Google's usual message for the code
    unless `message` is given); with a `Retry-After` header when `retry_after` is given;
    with `chunked`, the body goes in two chunks (transfer-encoding: chunked)."""
    body = json.dumps(listed_error(code, message or MESSAGES.get(code, "Error."))).encode()
    headers = {"content-type": "application/json"}
    if retry_after is not None:
        headers["retry-after"] = retry_after
    half = len(body) // 2
    return lambda call: (code, dict(headers), iter((body[:half], body[half:])) if chunked else body)


def quoting_error() -> Fault:
    """A fault: Vertex's 400 for a value it cannot take, quoting the first 30 characters of
    the first message, as Google's messages quote the request: a gateway that logs it
    whole writes the user's prompt to its log."""

    def reply(call: Call) -> Reply:
        text = content_text(dig(call.json(), "messages", 0, "content"))[:30]
        message = f"Invalid value at 'messages[0].content' (TYPE_STRING), {json.dumps(text)}"
        return refused(message)

    return reply
