"""A Responses request as a chat request: a new body, built from scratch.

Nothing of the Responses request goes on unless it is mapped here: Vertex refuses fields
it does not know (`store`, `metadata`, ...), so the rest is left out, and echoed back in
the Response where OpenAI's would echo it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .inputs import Lookup, chat_messages
from .problems import Unsendable
from .tools import Tools, chat_tool_choice, chat_tools

Json = dict[str, Any]
_EFFORTS = {"none": "none", "minimal": "low", "low": "low", "medium": "medium", "high": "high",
            "xhigh": "high"}  # fmt: skip
_REFUSED = {  # field: why
    "background": "background responses are not supported by the gateway",
    "conversation": "conversations are not supported by the gateway: use previous_response_id",
    "prompt": "prompt templates are not supported by the gateway",
}


class Plan(NamedTuple):
    """What to send to Vertex, and what the answer needs to be translated back."""

    chat: Json  # the chat request body
    tools: Tools
    stream: bool
    store: bool
    items: list[object]  # the whole conversation's items: the previous response's, then these
    inputs: list[object]  # this request's input items


def chat_request(body: object, upstream_model: str, previous: list[object], lookup: Lookup) -> Plan:
    """The chat request for the Responses request `body`; `previous`: the items of the
    response it continues (previous_response_id), already looked up."""
    if not isinstance(body, dict):
        raise Unsendable("the request body must be a JSON object")
    for field, why in _REFUSED.items():
        if body.get(field):
            raise Unsendable(why, field)
    inputs = _inputs(body.get("input"))
    items = [*previous, *inputs]
    tools = chat_tools(body.get("tools"))
    choice, tools = chat_tool_choice(body.get("tool_choice"), tools)
    conversation = chat_messages(items, tools, lookup)
    instructions = body.get("instructions")
    system = [instructions] if isinstance(instructions, str) and instructions else []
    system += conversation.system
    messages = [{"role": "system", "content": "\n\n".join(system)}] if system else []
    messages += conversation.messages
    if not conversation.messages:
        raise Unsendable("the input holds no message to answer", "input")
    stream = body.get("stream") is True
    chat: Json = {"model": upstream_model, "messages": messages}
    if stream:
        chat["stream"] = True
        chat["stream_options"] = {"include_usage": True}  # the completed event needs usage
    for field in ("temperature", "top_p"):
        if body.get(field) is not None:
            chat[field] = body[field]
    if body.get("max_output_tokens") is not None:
        chat["max_tokens"] = body["max_output_tokens"]
    if tools.functions:
        chat["tools"] = tools.functions
        if choice is not None:
            chat["tool_choice"] = choice
    effort = _effort(body.get("reasoning"))
    if effort:
        chat["reasoning_effort"] = effort
    response_format = _response_format(body.get("text"))
    if response_format:
        chat["response_format"] = response_format
    store = body.get("store") is not False
    return Plan(chat, tools, stream, store, items, inputs)


def _inputs(given: object) -> list[object]:
    if isinstance(given, str):
        return [{"type": "message", "role": "user", "content": given}]
    if isinstance(given, list):
        return list(given)
    if given is None:
        return []
    raise Unsendable("input must be a string or a list of items", "input")


def _effort(reasoning: object) -> str | None:
    effort = reasoning.get("effort") if isinstance(reasoning, dict) else None
    if effort is None:
        return None
    if effort not in _EFFORTS:
        raise Unsendable(f"reasoning.effort {str(effort)[:20]!r} is not known", "reasoning.effort")
    return _EFFORTS[effort]


def _response_format(text: object) -> Json | None:
    given = text.get("format") if isinstance(text, dict) else None
    if not isinstance(given, dict):
        return None
    kind = given.get("type")
    if kind == "json_schema":
        schema: Json = {"name": given.get("name") or "answer", "schema": given.get("schema") or {}}
        if given.get("strict") is not None:
            schema["strict"] = given["strict"]
        return {"type": "json_schema", "json_schema": schema}
    if kind == "json_object":
        return {"type": "json_object"}
    return None
