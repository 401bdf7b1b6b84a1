"""What Vertex's OpenAI endpoint (`…/endpoints/openapi/chat/completions`) refuses.

A stand-in that took anything would let a translator that sends junk pass every test. Each
rule reads the request and names the first thing wrong with it, in Google's words where
they are known; `refusal` runs them in order. The stand-in answers a problem with a 400
wrapped in a list, as this endpoint wraps every error (see `chat_errors.listed_error`).

The rules:
- a content-encoding other than identity or gzip, or a body that is not a JSON object;
- a Responses API field (`RESPONSES_ONLY`: `input`, `instructions`, `store`, …);
- a message that is not an object, or whose role is not system/user/assistant/tool (the
  deprecated `function` role is still served, as Vertex documents; `developer` is not);
- a tool whose `type` is not `function`, or whose name breaks Gemini's rule (a letter or
  `_` first, then letters, digits, `_ . : -`, 64 characters at most); a `tool_choice`
  naming a function no tool declares;
- a `tool` message whose `tool_call_id` answers no open call of the assistant messages
  before it in that turn, and a call left unanswered before the next user or assistant
  message (or the end): Gemini pairs each function call turn with its responses;
- for `gemini-3*` models, an assistant message of the current turn (after the last user
  message) whose first tool call has no `extra_content.google.thought_signature`, or one
  the stand-in never gave (`skip_thought_signature_validator` is always accepted).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from typing import Any

from tests.fake.server import Call, Json

RESPONSES_ONLY = frozenset(
    {"input", "instructions", "store", "include", "previous_response_id", "prompt_cache_key",
     "client_metadata", "parallel_tool_calls", "text", "reasoning", "max_output_tokens",
     "truncation", "background", "metadata", "service_tier", "conversation"}
)  # fmt: skip
ROLES = frozenset({"system", "user", "assistant", "tool", "function"})
ENCODINGS = frozenset({"identity", "gzip"})
TOOL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,63}")
SKIP_SIGNATURE = "skip_thought_signature_validator"
BAD_TOOL_NAME = (
    "* GenerateContentRequest.tools[0].function_declarations[{index}].name: Invalid function "
    "name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), "
    "underscores (_), dots (.), colons (:), or dashes (-), with a maximum length of 64."
)
NO_SIGNATURE = (
    "Function call is missing a thought_signature in functionCall parts. This is required "
    "for tools to work correctly, and missing thought_signature may lead to degraded model "
    "performance. Additional data, function call `default_api:{name}` , position {index}. "
    "Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
)
UNANSWERED = (
    "Please ensure that the number of function response parts is equal to the number of "
    "function call parts of the function call turn."
)

Rule = Callable[[Json, Collection[str]], str | None]


def refusal(call: Call, signatures: Collection[str]) -> str | None:
    """What Vertex would refuse this chat request for, or None; `signatures` are the
    thought signatures the stand-in gave out."""
    encoding = call.headers.get("content-encoding", "identity").lower()
    if encoding not in ENCODINGS:
        return f"Unsupported Content-Encoding: {encoding}"
    try:
        request = json.loads(call.content())
    except (ValueError, OSError, EOFError):  # gzip.BadGzipFile is an OSError
        return "Invalid JSON payload received. Unexpected token."
    if not isinstance(request, dict):
        return "Invalid JSON payload received. Expected an object."
    for rule in RULES:
        problem = rule(request, signatures)
        if problem:
            return problem
    return None


def dig(value: Any, *keys: str | int) -> Any:
    """`value[k1][k2]…`, or None where a level is missing or of the wrong kind."""
    for key in keys:
        if isinstance(key, int):
            value = (
                value[key] if isinstance(value, list) and -len(value) <= key < len(value) else None
            )
        else:
            value = value.get(key) if isinstance(value, dict) else None
    return value


def content_text(content: Any) -> str:
    """A message's text: its string, or its text parts joined."""
    if isinstance(content, list):
        return "".join(str(dig(part, "text") or "") for part in content)
    return content if isinstance(content, str) else ""


def tool_names(request: Json) -> list[str]:
    return [str(dig(tool, "function", "name")) for tool in request.get("tools") or []]


def _fields(request: Json, signatures: Collection[str]) -> str | None:
    for key in request:
        if key in RESPONSES_ONLY:
            return f'Invalid JSON payload received. Unknown name "{key}": Cannot find field.'
    return None


def _messages(request: Json, signatures: Collection[str]) -> str | None:
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        return "Invalid value at 'messages': at least one message is required."
    for index, message in enumerate(messages):
        role = dig(message, "role")
        if role not in ROLES:
            return f"Invalid value at 'messages[{index}].role' ({json.dumps(role)})"
        calls = dig(message, "tool_calls") or []
        if not isinstance(calls, list) or not all(dig(c, "function", "name") for c in calls):
            return f"Invalid value at 'messages[{index}].tool_calls': each needs a function name."
    return None


def _tools(request: Json, signatures: Collection[str]) -> str | None:
    tools = request.get("tools") or []
    if not isinstance(tools, list):
        return "Invalid value at 'tools': a list is expected."
    for index, tool in enumerate(tools):
        kind = dig(tool, "type")
        if kind != "function":
            return (
                f"Invalid value at 'tools[{index}].type' ({json.dumps(kind)}): "
                "only function tools are supported."
            )
        name = dig(tool, "function", "name")
        if not isinstance(name, str) or not TOOL_NAME.fullmatch(name):
            return BAD_TOOL_NAME.format(index=index)
    return None


def _tool_choice(request: Json, signatures: Collection[str]) -> str | None:
    choice = request.get("tool_choice")
    if choice is None or choice in ("auto", "none", "required"):
        return None
    name = dig(choice, "function", "name")
    if dig(choice, "type") == "function" and name in tool_names(request):
        return None
    return f"Invalid value at 'tool_choice' ({json.dumps(choice)}): no tool declares it."


def _answers(request: Json, signatures: Collection[str]) -> str | None:
    pending: set[str] = set()  # calls of this turn that no tool message has answered yet
    for index, message in enumerate(request["messages"]):
        role = message["role"]
        if role == "tool":
            answered = message.get("tool_call_id")
            if answered not in pending:
                return (
                    f"Invalid value at 'messages[{index}].tool_call_id' "
                    f"({json.dumps(answered)}): it answers no open function call of this turn."
                )
            pending.discard(answered)
        elif role in ("user", "assistant"):
            if pending:
                return UNANSWERED
            pending = {str(call.get("id")) for call in message.get("tool_calls") or []}
    return UNANSWERED if pending else None


def _signatures(request: Json, signatures: Collection[str]) -> str | None:
    if not str(request.get("model", "")).removeprefix("google/").startswith("gemini-3"):
        return None
    messages = request["messages"]
    users = [index for index, message in enumerate(messages) if message["role"] == "user"]
    for index in range(users[-1] + 1 if users else 0, len(messages)):
        first = dig(messages[index], "tool_calls", 0)
        if messages[index]["role"] != "assistant" or first is None:
            continue
        signature = dig(first, "extra_content", "google", "thought_signature")
        if not signature:
            return NO_SIGNATURE.format(name=first["function"]["name"], index=index)
        if signature != SKIP_SIGNATURE and signature not in signatures:
            return f"Thought signature is not valid (messages[{index}].tool_calls[0])."
    return None


RULES: tuple[Rule, ...] = (_fields, _messages, _tools, _tool_choice, _answers, _signatures)
