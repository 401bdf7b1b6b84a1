"""What the stand-in answers to a chat, and how it frames it, the way Gemini on Vertex does.

Three kinds of turn:
- answer turn, the last message is a `tool` message: the text "the tool said: " and the
  first 40 characters of that message's text;
- tool turn, the request offers tools and no `tool` message follows the last user
  message: one call (two with `parallel`), whole in one chunk, with a thought signature on
  the first call only, as Gemini signs the first function call of each step;
- otherwise, or with `tool_choice: "none"`: the plain text the caller gives.

Which tool: the one `tool_choice` names; with `namespaced`, the first whose name looks
flattened from a namespace (`ns__name`); else one the last user message names ("use
apply_patch to ..."); else the first of `PREFERRED` offered, else the first tool, its
required properties filled in ("x" for strings).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from tests.fake.chat_rules import content_text, dig
from tests.fake.server import Json

PREFERRED: dict[str, Json] = {
    "exec_command": {"cmd": "echo hello-from-tool"},
    "apply_patch": {"input": "*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** End Patch\n"},
    "get_weather": {"city": "Paris"},
}
THOUGHT = "The user wants an answer. I will give one."
_PLACEHOLDERS: dict[str, Any] = {
    "integer": 0,
    "number": 0,
    "boolean": False,
    "array": [],
    "object": {},
}


class Answer(NamedTuple):
    """An answer before framing: each text and reasoning piece is one chunk of a stream."""

    text: list[str]
    calls: list[Json]
    reasoning: list[str]
    finish: str


def pieces(text: str, count: int) -> list[str]:
    """`text` cut at spaces into at most `count` pieces that add up to it, byte for byte."""
    words = text.split(" ")
    size = -(-len(words) // max(count, 1))
    cut = [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
    return [piece + " " for piece in cut[:-1]] + cut[-1:]


def wants_thoughts(request: Json) -> bool:
    """Whether the request asks for thought summaries, as Google documents it for the
    OpenAI SDKs: `extra_body={"extra_body": {"google": {"thinking_config":
    {"include_thoughts": True}}}}`, which puts an `extra_body` key on the wire."""
    config = dig(request, "extra_body", "google", "thinking_config", "include_thoughts")
    return config is True


def plan(
    request: Json,
    plain: str,
    count: int,
    number: Callable[[], int],
    *,
    preamble: str = "",
    parallel: bool = False,
    namespaced: bool = False,
) -> Answer:
    """The answer to `request`: text in up to `count` pieces; `number()` numbers calls."""
    reasoning = pieces(THOUGHT, 2) if wants_thoughts(request) else []
    messages = request.get("messages") or []
    last = messages[-1] if messages else {}
    if dig(last, "role") == "tool":
        said = "the tool said: " + content_text(last.get("content"))[:40]
        return Answer(pieces(said, count), [], reasoning, "stop")
    users = [i for i, message in enumerate(messages) if dig(message, "role") == "user"]
    answered = any(dig(m, "role") == "tool" for m in messages[users[-1] + 1 if users else 0 :])
    name = None if answered else _chosen(request, namespaced)
    if name is None:
        return Answer(pieces(plain, count), [], reasoning, "stop")
    text = pieces(preamble, count) if preamble else []
    calls = [_call(request, name, number(), signed=i == 0) for i in range(2 if parallel else 1)]
    return Answer(text, calls, reasoning, "tool_calls")


def completion(answer: Answer, model: str, usage: Json) -> Json:
    """A `chat.completion` object."""
    message: Json = {"role": "assistant", "content": "".join(answer.text) or None}
    if answer.reasoning:
        message["reasoning_content"] = "".join(answer.reasoning)
    if answer.calls:
        message["tool_calls"] = answer.calls
    choice = {"index": 0, "message": message, "finish_reason": answer.finish}
    return {**_head(model, "chat.completion"), "choices": [choice], "usage": usage}


def chunks(answer: Answer, model: str, usage: Json | None, index_zero: bool) -> Iterator[Json]:
    """The `chat.completion.chunk` objects of a stream: reasoning, text, then each call in
    a chunk of its own (with `index: 0` only when `index_zero`), the finish reason on the
    last text chunk or in a chunk of its own, then the usage when given."""
    for piece in answer.reasoning:
        yield _chunk(model, {"role": "assistant", "reasoning_content": piece})
    for number, piece in enumerate(answer.text, 1):
        last = number == len(answer.text) and not answer.calls
        yield _chunk(
            model, {"role": "assistant", "content": piece}, answer.finish if last else None
        )
    for call in answer.calls:
        sent = {"index": 0, **call} if index_zero else call
        yield _chunk(model, {"role": "assistant", "tool_calls": [sent]})
    if answer.calls or not answer.text:
        yield _chunk(model, {}, answer.finish)
    if usage is not None:
        yield {**_head(model, "chat.completion.chunk"), "choices": [], "usage": usage}


def _chosen(request: Json, namespaced: bool) -> str | None:
    choice = request.get("tool_choice")
    names = [str(dig(tool, "function", "name")) for tool in request.get("tools") or []]
    if not names or choice == "none":
        return None
    if dig(choice, "function", "name"):
        return str(dig(choice, "function", "name"))
    flattened = [name for name in names if "__" in name] if namespaced else []
    users = [m for m in request.get("messages") or [] if dig(m, "role") == "user"]
    said = content_text(users[-1].get("content")) if users else ""
    named = [name for name in names if name in said]
    return next((name for name in [*flattened, *named, *PREFERRED] if name in names), names[0])


def _call(request: Json, name: str, number: int, signed: bool) -> Json:
    tools = {dig(tool, "function", "name"): tool for tool in request.get("tools") or []}
    call: Json = {
        "id": f"call_fake_{number}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(_arguments(name, tools.get(name)))},
    }
    if signed:
        call["extra_content"] = {"google": {"thought_signature": f"sig-{number}"}}
    return call


def _arguments(name: str, tool: Any) -> Json:
    if name in PREFERRED:
        return PREFERRED[name]
    properties = dig(tool, "function", "parameters", "properties") or {}
    required = dig(tool, "function", "parameters", "required") or []
    return {key: _PLACEHOLDERS.get(dig(properties, key, "type"), "x") for key in required}


def _head(model: str, kind: str) -> Json:
    return {"id": "chatcmpl-fake", "object": kind, "created": int(time.time()), "model": model}


def _chunk(model: str, delta: Json, finish: str | None = None) -> Json:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {**_head(model, "chat.completion.chunk"), "choices": [choice]}
