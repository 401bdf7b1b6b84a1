"""The Response object around the output items: what the request asked, echoed; the status;
the usage, with every detail field clients parse (Codex retries for ever without
`cached_tokens`)."""

from __future__ import annotations

import time
from typing import Any

from .items import new_id

Json = dict[str, Any]
_INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}


class Shell:
    """A Response for one request: the same id and echoed fields in every event."""

    def __init__(self, request: Json, previous_id: str | None = None) -> None:
        self.id = new_id("resp")
        self.created_at = int(time.time())
        reasoning = request.get("reasoning")
        text = request.get("text")
        self._echo: Json = {
            "instructions": request.get("instructions"),
            "max_output_tokens": request.get("max_output_tokens"),
            "metadata": request.get("metadata") or {},
            "parallel_tool_calls": request.get("parallel_tool_calls", True),
            "previous_response_id": previous_id,
            "reasoning": {"effort": None, "summary": None, **_object(reasoning)},
            "store": request.get("store") is not False,
            "temperature": request.get("temperature"),
            "text": {"format": {"type": "text"}, **_object(text)},
            "tool_choice": request.get("tool_choice") or "auto",
            "tools": request.get("tools") or [],
            "top_p": request.get("top_p"),
            "truncation": "disabled",
            "user": None,
        }
        self.model = str(request.get("model") or "")

    def response(
        self,
        status: str,
        output: list[Json] | None = None,
        usage: Json | None = None,
        error: Json | None = None,
        incomplete: str | None = None,
    ) -> Json:
        """The Response object with `status`; `output` empty but in terminal events."""
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "background": False,
            "error": error,
            "incomplete_details": {"reason": incomplete} if incomplete else None,
            "model": self.model,
            "output": output or [],
            "usage": usage,
            **self._echo,
        }

    def ended(self, output: list[Json], finish_reason: str | None, usage: Json | None) -> Json:
        """The Response of an answer that ended: completed, or incomplete and why."""
        incomplete = _INCOMPLETE.get(finish_reason or "")
        status = "incomplete" if incomplete else "completed"
        return self.response(status, output, responses_usage(usage), incomplete=incomplete)


def listed_input(item: object) -> object:
    """An input item as OpenAI lists it back: with an id, a message's text as a part."""
    if not isinstance(item, dict):
        return item
    kind = item.get("type") or ("message" if "role" in item else None)
    listed = {**item, "id": item.get("id") or new_id("msg" if kind == "message" else "item")}
    if kind == "message":
        listed["type"] = "message"
        if isinstance(item.get("content"), str):
            role = item.get("role")
            part = "output_text" if role == "assistant" else "input_text"
            listed["content"] = [{"type": part, "text": item["content"]}]
    return listed


def _object(value: object) -> Json:
    return value if isinstance(value, dict) else {}


def terminal_event(response: Json) -> str:
    """The event that ends a stream with `response`."""
    return f"response.{response['status']}"


def responses_usage(usage: Json | None) -> Json:
    """Chat usage as the Responses API counts it, every detail field present."""
    usage = usage or {}
    prompt = usage.get("prompt_tokens_details") or {}
    completion = usage.get("completion_tokens_details") or {}
    input_tokens = int(usage.get("prompt_tokens") or 0)
    output_tokens = int(usage.get("completion_tokens") or 0)
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {
            "cached_tokens": int(prompt.get("cached_tokens") or 0),
            "cache_write_tokens": 0,  # declared by the newest openai-python; Vertex has none
        },
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": int(completion.get("reasoning_tokens") or 0)},
        "total_tokens": int(usage.get("total_tokens") or input_tokens + output_tokens),
    }
