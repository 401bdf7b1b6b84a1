"""Chat answers as Responses output items, and the stream events that build them.

One state machine serves both: a stream feeds it chunk by chunk, a whole answer once.
At most one item is open at a time, and each item is announced (`output_item.added`,
`content_part.added`) before any of its deltas and finished (`output_item.done`) before
the next one starts, which is what Codex and the SDKs require. Tool calls are told apart
by their `id`: Gemini sends parallel calls in chunks of their own without an `index`, or
with `index` 0 each time.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

from .tools import Tools, custom_input, shell_action

Json = dict[str, Any]
Event = tuple[str, Json]  # the type, and the rest of the event but its sequence number
_PREFIX = {"message": "msg", "reasoning": "rs", "function": "fc", "custom": "ctc",
           "local_shell": "lsc"}  # fmt: skip


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(16)}"


def whole(completion: object) -> Json:
    """A whole chat completion (not streamed), made fit to feed as one chunk: its calls are
    told apart by their position when they have no id."""
    if not isinstance(completion, dict):
        return {}
    for choice in completion.get("choices") or []:
        message = choice.get("message") if isinstance(choice, dict) else None
        for index, call in enumerate((message or {}).get("tool_calls") or []):
            if isinstance(call, dict) and not call.get("id") and call.get("index") is None:
                call["index"] = index
    return completion


class _Open:
    """The item being built: its place in the output, and the text it has so far."""

    def __init__(self, kind: str, index: int, item: Json) -> None:
        self.kind = kind  # message, reasoning, or a tool's kind (function, custom, local_shell)
        self.index = index
        self.item = item
        self.text = ""
        self.closed = False

    @property
    def where(self) -> Json:
        return {"item_id": self.item["id"], "output_index": self.index}


class Assembler:
    """Chat deltas in; Responses events out, and at the end the output items."""

    def __init__(self, tools: Tools) -> None:
        self._tools = tools
        self.items: list[Json] = []  # in output_index order, dense from 0
        self._open: _Open | None = None
        self._by_id: dict[str, _Open] = {}
        self._by_index: dict[int, _Open] = {}
        self._last_call: _Open | None = None
        self.finish_reason: str | None = None
        self.usage: Json | None = None
        self.signatures: dict[str, str] = {}  # call_id: Gemini's thought signature
        self.chunks = 0

    def feed(self, chunk: Json) -> list[Event]:
        """The events for one chat completion chunk."""
        self.chunks += 1
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        events: list[Event] = []
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue  # one answer was asked for
            delta = choice.get("delta") or choice.get("message") or {}
            events += self._delta(delta)
            if choice.get("finish_reason"):
                self.finish_reason = str(choice["finish_reason"])
        return events

    def close(self) -> list[Event]:
        """The events that finish the open item, at the normal end of an answer."""
        return self._close()

    @property
    def finished(self) -> list[Json]:
        """The items finished so far (a broken stream's open item is not)."""
        if self._open is not None and not self._open.closed:
            return self.items[:-1]
        return list(self.items)

    def _delta(self, delta: Json) -> list[Event]:
        events: list[Event] = []
        reasoning = delta.get("reasoning_content")
        if isinstance(reasoning, str) and reasoning:
            events += self._text("reasoning", reasoning)
        content = delta.get("content")
        if isinstance(content, str) and content:
            events += self._text("message", content)
        for call in delta.get("tool_calls") or []:
            if isinstance(call, dict):
                events += self._call(call)
        return events

    def _text(self, kind: str, text: str) -> list[Event]:
        events: list[Event] = []
        if self._open is None or self._open.kind != kind:
            events += self._close()
            events += self._start_text(kind)
        assert self._open is not None
        self._open.text += text
        if kind == "message":
            events.append(
                ("response.output_text.delta",
                 {**self._open.where, "content_index": 0, "delta": text, "logprobs": []})
            )  # fmt: skip
        else:
            events.append(
                ("response.reasoning_summary_text.delta",
                 {**self._open.where, "summary_index": 0, "delta": text})
            )  # fmt: skip
        return events

    def _start_text(self, kind: str) -> list[Event]:
        if kind == "message":
            item: Json = {"id": new_id("msg"), "type": "message", "status": "in_progress",
                          "role": "assistant", "content": []}  # fmt: skip
            opened = self._start(kind, item)
            part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            return [*opened, ("response.content_part.added",
                              {**self._where(), "content_index": 0, "part": part})]  # fmt: skip
        item = {"id": new_id("rs"), "type": "reasoning", "summary": []}
        opened = self._start(kind, item)
        part = {"type": "summary_text", "text": ""}
        return [*opened, ("response.reasoning_summary_part.added",
                          {**self._where(), "summary_index": 0, "part": part})]  # fmt: skip

    def _where(self) -> Json:
        assert self._open is not None
        return self._open.where

    def _start(self, kind: str, item: Json) -> list[Event]:
        self._open = _Open(kind, len(self.items), item)
        self.items.append(item)
        return [("response.output_item.added",
                 {"output_index": self._open.index, "item": copy.deepcopy(item)})]  # fmt: skip

    def _call(self, call: Json) -> list[Event]:
        # An empty id is no id: some servers repeat "" on a call's later pieces.
        call_id = call.get("id") if isinstance(call.get("id"), str) and call.get("id") else None
        index = call.get("index") if isinstance(call.get("index"), int) else None
        function = _object(call.get("function"))
        found = self._find(call_id, index)
        events: list[Event] = []
        if found is None:
            events += self._close()
            events += self._start_call(call_id or new_id("call"), str(function.get("name") or ""))
            found = self._open
            assert found is not None
            if call_id:
                self._by_id[call_id] = found
        if index is not None:
            self._by_index[index] = found
        self._last_call = found
        signature = _object(_object(call.get("extra_content")).get("google")).get(
            "thought_signature"
        )
        if isinstance(signature, str) and signature:
            self.signatures[found.item["call_id"]] = signature
        arguments = function.get("arguments")
        if isinstance(arguments, str) and arguments:
            found.text += arguments
            if found.kind == "function" and not found.closed:
                events.append(
                    ("response.function_call_arguments.delta", {**found.where, "delta": arguments})
                )
            elif found.closed:  # a late piece of a call already finished: kept, not streamed
                _finish_call(found)
        return events

    def _find(self, call_id: str | None, index: int | None) -> _Open | None:
        if call_id is not None:
            return self._by_id.get(call_id)
        if index is not None:
            return self._by_index.get(index)
        return self._last_call

    def _start_call(self, call_id: str, chat_name: str) -> list[Event]:
        origin = self._tools.origin(chat_name)
        item: Json = {"id": new_id(_PREFIX[origin.kind]), "call_id": call_id}
        if origin.kind == "function":
            item.update(type="function_call", status="in_progress", name=origin.name,
                        arguments="")  # fmt: skip
        elif origin.kind == "custom":
            item.update(type="custom_tool_call", name=origin.name, input="")
        else:
            item.update(type="local_shell_call", status="in_progress", action=shell_action(""))
        if origin.namespace:  # a function's or a custom tool's: Codex needs it back
            item["namespace"] = origin.namespace
        return self._start(origin.kind, item)

    def _close(self) -> list[Event]:
        found = self._open
        if found is None or found.closed:
            return []
        found.closed = True
        where, text = found.where, found.text
        if found.kind == "message":
            part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
            found.item.update(status="completed", content=[part])
            events: list[Event] = [
                ("response.output_text.done",
                 {**where, "content_index": 0, "text": text, "logprobs": []}),
                ("response.content_part.done", {**where, "content_index": 0, "part": part}),
            ]  # fmt: skip
        elif found.kind == "reasoning":
            part = {"type": "summary_text", "text": text}
            found.item["summary"] = [part]
            summary = {**where, "summary_index": 0}
            events = [
                ("response.reasoning_summary_text.done", {**summary, "text": text}),
                ("response.reasoning_summary_part.done", {**summary, "part": part}),
            ]
        else:
            _finish_call(found)
            events = _call_done(found)
        item = copy.deepcopy(found.item)
        return [*events, ("response.output_item.done", {"output_index": found.index, "item": item})]


def _object(value: object) -> Json:
    return value if isinstance(value, dict) else {}


def _finish_call(call: _Open) -> None:
    """The call's item as its arguments, all of them so far, make it."""
    if call.kind == "function":
        call.item.update(status="completed", arguments=call.text or "{}")
    elif call.kind == "custom":
        call.item["input"] = custom_input(call.text)
    else:
        call.item.update(status="completed", action=shell_action(call.text))


def _call_done(call: _Open) -> list[Event]:
    where, item = call.where, call.item
    if call.kind == "function":
        return [("response.function_call_arguments.done",
                 {**where, "name": item["name"], "arguments": item["arguments"]})]  # fmt: skip
    if call.kind == "custom":
        return [
            ("response.custom_tool_call_input.delta", {**where, "delta": item["input"]}),
            ("response.custom_tool_call_input.done", {**where, "input": item["input"]}),
        ]
    return []
