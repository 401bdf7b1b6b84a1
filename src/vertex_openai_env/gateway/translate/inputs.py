"""Responses input items as chat messages.

System and developer text before the first turn becomes one leading system message (Codex
sends two developer messages); later, it goes in as a user message, since a system
message mid-conversation is not known to be accepted [PROBE]. An assistant's text and the
calls that follow it are one assistant message, its outputs the tool messages right after;
a call left without an output is answered "aborted", as Codex does itself. Each call
carries the thought signature Gemini gave it, or, for the first call of a turn when none
is known, the placeholder Google documents for that case.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable
from typing import Any, NamedTuple

from .problems import Unsendable
from .tools import LOCAL_SHELL, Tools

Json = dict[str, Any]
UNKNOWN_SIGNATURE = "skip_thought_signature_validator"  # Google's placeholder for a lost one
ABORTED = "aborted"
_SKIPPED = frozenset(
    ("reasoning", "web_search_call", "file_search_call", "code_interpreter_call",
     "image_generation_call", "computer_call", "computer_call_output", "mcp_call",
     "mcp_list_tools", "mcp_approval_request", "mcp_approval_response", "tool_search_call",
     "tool_search_output", "compaction")
)  # fmt: skip
_CALLS = ("function_call", "custom_tool_call", "local_shell_call")
_OUTPUTS = ("function_call_output", "custom_tool_call_output", "local_shell_call_output")


class Lookup(NamedTuple):
    """What the gateway remembers that input items may refer to."""

    item: Callable[[str], Json | None]  # an output item by its id (item_reference)
    signature: Callable[[str], str | None]  # a call's thought signature by its call_id
    gemini: bool  # the model checks thought signatures


class Conversation(NamedTuple):
    system: list[str]  # the text of the leading system message, in parts
    messages: list[Json]


def chat_messages(items: list[object], tools: Tools, lookup: Lookup) -> Conversation:
    """The chat messages for `items`, in order."""
    builder = _Builder(tools, lookup)
    for index, item in enumerate(items):
        builder.add(item, f"input[{index}]")
    builder.settle()
    return Conversation(builder.system, builder.messages)


class _Builder:
    def __init__(self, tools: Tools, lookup: Lookup) -> None:
        self.tools = tools
        self.lookup = lookup
        self.system: list[str] = []
        self.messages: list[Json] = []
        self.assistant: Json | None = None  # the assistant message being put together
        self.waiting: dict[str, bool] = {}  # its calls, once sent: answered yet?
        self.images: list[Json] = []  # from call outputs: shown in a user message after them
        self.seen: set[str] = set()

    def add(self, item: object, param: str) -> None:
        if not isinstance(item, dict):
            raise Unsendable(f"{param} must be an object", param)
        kind = item.get("type") or ("message" if "role" in item else None)
        if kind == "item_reference":
            found = self.lookup.item(str(item.get("id")))
            if found is None:
                raise Unsendable(
                    f"item {str(item.get('id'))[:80]} is not kept by the gateway: it keeps the "
                    "items of the last responses stored in memory for an hour; resend the "
                    "items themselves, or set store to false",
                    param,
                    "item_not_found",
                )
            self.add(found, param)
        elif kind == "message":
            self.message(item, param)
        elif kind in _CALLS:
            self.call(item, kind, param)
        elif kind in _OUTPUTS:
            self.output(item, param)
        elif kind not in _SKIPPED:
            raise Unsendable(f"input item type {str(kind)[:40]!r} is not supported", param)

    def message(self, item: Json, param: str) -> None:
        role = item.get("role")
        content = item.get("content")
        if role in ("system", "developer"):
            text = _text(content, f"{param}.content")
            if not self.messages and self.assistant is None:
                self.system.append(text)
            else:
                self.settle()
                self.messages.append({"role": "user", "content": f"[{role}] {text}"})
        elif role == "user":
            self.settle()
            self.messages.append({"role": "user", "content": _user_content(content, param)})
        elif role == "assistant":
            text = _text(content, f"{param}.content")
            if self.assistant is None:
                self.settle()
                self.assistant = {"role": "assistant", "content": text}
            else:  # text beside calls of the same turn: one message
                before = self.assistant.get("content")
                self.assistant["content"] = f"{before}\n{text}" if before else text
        else:
            raise Unsendable(f"message role {str(role)[:40]!r} is not supported", f"{param}.role")

    def call(self, item: Json, kind: str, param: str) -> None:
        call_id = str(item.get("call_id") or item.get("id") or "")
        if not call_id:
            raise Unsendable(f"{param}.call_id is missing", f"{param}.call_id")
        if kind == "function_call":
            name = self.tools.chat_name(str(item.get("name")), item.get("namespace"))
            arguments = str(item.get("arguments") or "{}")
        elif kind == "custom_tool_call":
            name = str(item.get("name"))
            arguments = json.dumps({"input": str(item.get("input") or "")})
        else:
            name = LOCAL_SHELL
            action = item.get("action") or {}
            arguments = json.dumps(
                {
                    "command": action.get("command") or [],
                    "workdir": action.get("working_directory"),
                    "timeout_ms": action.get("timeout_ms"),
                }
            )
        if self.assistant is None:
            self.settle()
            self.assistant = {"role": "assistant", "content": None}
        tool_call: Json = {
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": arguments},
        }
        signature = self.lookup.signature(call_id)
        if signature:
            tool_call["extra_content"] = _signed(signature)
        self.assistant.setdefault("tool_calls", []).append(tool_call)
        self.seen.add(call_id)

    def output(self, item: Json, param: str) -> None:
        call_id = str(item.get("call_id") or item.get("id") or "")
        self.close()
        if call_id not in self.waiting:
            where = "does not follow its call" if call_id in self.seen else "answers no call"
            raise Unsendable(f"{param} (call_id {call_id[:80]}) {where}", f"{param}.call_id")
        self.waiting[call_id] = True
        text, images = _output_content(item.get("output"), param)
        self.messages.append({"role": "tool", "tool_call_id": call_id, "content": text})
        self.images += images

    def close(self) -> None:
        """Send the assistant message being put together; its calls now wait for outputs."""
        if self.assistant is None:
            return
        calls = self.assistant.get("tool_calls") or []
        if calls and self.lookup.gemini and "extra_content" not in calls[0]:
            calls[0]["extra_content"] = _signed(UNKNOWN_SIGNATURE)
        self.messages.append(self.assistant)
        self.assistant = None
        self.waiting = {call["id"]: False for call in calls}

    def settle(self) -> None:
        """End a turn: every call answered (aborted if it was not), then any images."""
        self.close()
        for call_id, answered in self.waiting.items():
            if not answered:
                self.messages.append({"role": "tool", "tool_call_id": call_id, "content": ABORTED})
        self.waiting = {}
        if self.images:
            self.messages.append({"role": "user", "content": self.images})
            self.images = []


def _signed(signature: str) -> Json:
    return {"google": {"thought_signature": signature}}


def _text(content: object, param: str) -> str:
    """Text of a system, developer or assistant message (a string, or parts of text)."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise Unsendable(f"{param} must be a string or a list of parts", param)
    texts = []
    for index, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in ("input_text", "output_text", "text", "refusal") or not isinstance(
            part, dict
        ):
            raise Unsendable(f"{param}[{index}] must be a text part", f"{param}[{index}]")
        texts.append(str(part.get("text") or part.get("refusal") or ""))
    return "".join(texts)


def _user_content(content: object, param: str) -> object:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise Unsendable(f"{param}.content must be a string or a list of parts", param)
    return [_part(part, f"{param}.content[{index}]") for index, part in enumerate(content)]


def _part(part: object, param: str) -> Json:
    """A user content part as chat has it: text, an image (a URL or data URL), audio."""
    if not isinstance(part, dict):
        raise Unsendable(f"{param} must be an object", param)
    kind = part.get("type")
    if part.get("file_id"):
        raise Unsendable(
            f"{param}: file_id needs OpenAI's Files API, which Vertex AI does not have; "
            "send the file's data or URL instead",
            param,
        )
    if kind in ("input_text", "text"):
        return {"type": "text", "text": str(part.get("text") or "")}
    if kind == "input_image" and part.get("image_url"):
        return {"type": "image_url", "image_url": {"url": str(part["image_url"])}}
    if kind == "input_file" and (part.get("file_data") or part.get("file_url")):
        return {"type": "image_url", "image_url": {"url": _file_url(part)}}
    if kind == "input_audio" and isinstance(part.get("input_audio"), dict):
        return {"type": "input_audio", "input_audio": part["input_audio"]}
    raise Unsendable(f"{param}: content part {str(kind)[:40]!r} is not supported", param)


def _file_url(part: Json) -> str:
    """A file as Vertex takes it: its URL, or its data as a data URL."""
    if part.get("file_url"):
        return str(part["file_url"])
    data = str(part["file_data"])
    if data.startswith("data:"):
        return data
    mime = mimetypes.guess_type(str(part.get("filename") or ""))[0] or "application/pdf"
    return f"data:{mime};base64,{data}"


def _output_content(output: object, param: str) -> tuple[str, list[Json]]:
    """A call's output as a tool message's text, and the images it holds."""
    if isinstance(output, str):
        return output, []
    if not isinstance(output, list):
        return json.dumps(output), []
    texts, images = [], []
    for index, part in enumerate(output):
        converted = _part(part, f"{param}.output[{index}]")
        if converted["type"] == "text":
            texts.append(converted["text"])
        else:
            images.append(converted)
    return "\n".join(texts) or ("[image]" if images else ""), images
