"""Errors as Vertex's OpenAI endpoint sends them: a JSON list holding one Google error,

[{"error": {"code": 400, "message": "...", "status": "INVALID_ARGUMENT"}}]
"""

from __future__ import annotations

from tests.fake.server import Json, Reply, json_reply

STATUS = {
    400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}  # fmt: skip


def listed_error(code: int, message: str) -> list[Json]:
    return [{"error": {"code": code, "message": message, "status": STATUS.get(code, "UNKNOWN")}}]


def refused(problem: str) -> Reply:
    """The endpoint's 400 for a request it will not take."""
    return json_reply(400, listed_error(400, problem))
