"""The gateway's own answers, in OpenAI's error format, so that every client can show them.

{"error": {"message": "...", "type": "...", "param": null, "code": "..."}}
"""

from __future__ import annotations

import json

from aiohttp import web

_TYPES = {403: "permission_error", 429: "rate_limit_error"}


def refusal(
    status: int,
    code: str,
    message: str,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """A JSON error reply with `status`; `message` must hold no secret."""
    kind = _TYPES.get(status, "invalid_request_error" if status < 500 else "api_error")
    error = {"message": message, "type": kind, "param": param, "code": code}
    return web.Response(
        status=status,
        body=json.dumps({"error": error}).encode(),
        content_type="application/json",
        headers=headers,
    )


def wrong_key() -> web.Response:
    return refusal(
        401,
        "invalid_api_key",
        "missing or wrong API key: use the OPENAI_API_KEY the gateway printed when it started "
        "(as 'Authorization: Bearer KEY' or an 'api-key' header)",
    )


def not_found(path: str) -> web.Response:
    return refusal(404, "not_found", f"the gateway serves /v1/... only, not {path[:100]}")


def unknown_model(name: str) -> web.Response:
    return refusal(
        404,
        "model_not_found",
        f"the gateway lists no model {name[:100]} (GET /v1/models lists what it serves; "
        "a request naming another model still goes to Vertex AI as it is)",
    )


def bad_path() -> web.Response:
    return refusal(400, "invalid_path", "the path holds '.' or '..' segments or encoded slashes")


def absolute_form() -> web.Response:
    return refusal(
        400, "invalid_path", "send the path only (/v1/...), not a whole URL: this is no proxy"
    )


def wrong_method(method: str, allowed: list[str]) -> web.Response:
    return refusal(
        405,
        "method_not_allowed",
        f"the OpenAI API has no {method[:20]} requests: {', '.join(allowed)} only",
        headers={"Allow": ", ".join(allowed)},
    )


def unreachable(problem: str) -> web.Response:
    return refusal(502, "upstream_unreachable", f"could not reach Vertex AI: {problem}")


def timed_out(seconds: float) -> web.Response:
    return refusal(504, "upstream_timeout", f"Vertex AI did not answer within {seconds:g}s")


def no_token(problem: str) -> web.Response:
    return refusal(503, "google_token_unavailable", problem)


def busy(message: str) -> web.Response:
    """No connection to Vertex AI to be had now: come back in a second."""
    return refusal(503, "gateway_busy", message, headers={"Retry-After": "1"})
