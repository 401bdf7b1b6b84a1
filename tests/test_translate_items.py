"""Chat chunks as Responses events and output items: the exact sequences clients need."""

from __future__ import annotations

import json

from tests.translating import Json, calls, delta, fn, offered, run
from vertex_openai_env.gateway.translate.items import Assembler

PARIS = '{"city":"Paris"}'
ADDED, DONE = "response.output_item.added", "response.output_item.done"


def finish(reason: str = "stop", index: int = 0) -> Json:
    return {"choices": [{"index": index, "delta": {}, "finish_reason": reason}]}


def text_part(text: str) -> Json:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def message_events(item_id: str, index: int, *deltas: str) -> list[object]:
    at = {"item_id": item_id, "output_index": index, "content_index": 0}
    text = "".join(deltas)
    started = {
        "id": item_id,
        "type": "message",
        "status": "in_progress",
        "role": "assistant",
        "content": [],
    }
    return [
        [ADDED, {"output_index": index, "item": started}],
        ["response.content_part.added", {**at, "part": text_part("")}],
        *(["response.output_text.delta", {**at, "delta": each, "logprobs": []}] for each in deltas),
        ["response.output_text.done", {**at, "text": text, "logprobs": []}],
        ["response.content_part.done", {**at, "part": text_part(text)}],
        [DONE, {"output_index": index, "item": {**started, "status": "completed", "content": [text_part(text)]}}],
    ]  # fmt: skip


def call_events(item: Json, done: Json, *middle: tuple[str, Json]) -> list[object]:
    """A call's events: added with `item`, then `middle` (at its place), then done."""
    at = {"item_id": item["id"], "output_index": 0}
    return [[ADDED, {"output_index": 0, "item": item}], *([kind, {**at, **more}] for kind, more in middle),
            [DONE, {"output_index": 0, "item": {**item, **done}}]]  # fmt: skip


def test_text_is_announced_streamed_and_finished() -> None:
    _, events = run(delta(role="assistant", content=""), delta(content="Hel"), delta(content="lo"), finish())  # fmt: skip
    assert events == message_events("msg#1", 0, "Hel", "lo")


def test_reasoning_is_a_summary_item_before_the_text() -> None:
    assembler, events = run(delta(reasoning_content="Think"), delta(reasoning_content="ing"), delta(content="Hi"))  # fmt: skip
    at = {"item_id": "rs#1", "output_index": 0, "summary_index": 0}
    part = {"type": "summary_text", "text": "Thinking"}
    assert events == [
        [ADDED, {"output_index": 0, "item": {"id": "rs#1", "type": "reasoning", "summary": []}}],
        ["response.reasoning_summary_part.added", {**at, "part": {"type": "summary_text", "text": ""}}],
        ["response.reasoning_summary_text.delta", {**at, "delta": "Think"}],
        ["response.reasoning_summary_text.delta", {**at, "delta": "ing"}],
        ["response.reasoning_summary_text.done", {**at, "text": "Thinking"}],
        ["response.reasoning_summary_part.done", {**at, "part": part}],
        [DONE, {"output_index": 0, "item": {"id": "rs#1", "type": "reasoning", "summary": [part]}}],
        *message_events("msg#1", 1, "Hi"),
    ]  # fmt: skip
    assert [item["type"] for item in assembler.items] == ["reasoning", "message"]


FUNCTIONS = [("get_weather", {"name": "get_weather"}), ("ns__spawn", {"name": "spawn", "namespace": "ns"}),
             ("unoffered", {"name": "unoffered"})]  # fmt: skip


def test_a_function_call_has_its_name_when_added_and_done() -> None:
    for name, origin in FUNCTIONS:
        signed = {"google": {"thought_signature": "s"}}
        assembler, events = run(delta(content=""), calls(fn(name, PARIS, id="call_1", extra_content=signed)), finish("tool_calls"))  # fmt: skip
        item = {"id": "fc#1", "call_id": "call_1", "type": "function_call", "status": "in_progress", **origin, "arguments": ""}  # fmt: skip
        assert events == call_events(
            item,
            {"status": "completed", "arguments": PARIS},
            ("response.function_call_arguments.delta", {"delta": PARIS}),
            ("response.function_call_arguments.done", {"name": origin["name"], "arguments": PARIS}),
        )
        assert (assembler.signatures, assembler.finish_reason) == ({"call_1": "s"}, "tool_calls")


def test_a_call_with_no_arguments_is_done_with_an_empty_object() -> None:
    _, events = run(calls(fn("get_weather", "", id="call_1")))
    item = {"id": "fc#1", "call_id": "call_1", "type": "function_call", "status": "in_progress", "name": "get_weather", "arguments": ""}  # fmt: skip
    done = ("response.function_call_arguments.done", {"name": "get_weather", "arguments": "{}"})
    assert events == call_events(item, {"status": "completed", "arguments": "{}"}, done)


CUSTOM = [
    ("apply_patch", {"name": "apply_patch"}),
    ("ns__edit", {"name": "edit", "namespace": "ns"}),
]


def test_a_custom_call_is_buffered_and_unwrapped() -> None:
    patch = "*** Begin Patch\n*** End Patch\n"
    arguments = json.dumps({"patch": patch})
    for name, origin in CUSTOM:
        assembler, events = run(calls(fn(name, arguments[:5], id="call_1")), calls(fn(None, arguments[5:])))  # fmt: skip
        item = {"id": "ctc#1", "call_id": "call_1", "type": "custom_tool_call", **origin, "input": ""}  # fmt: skip
        assert events == call_events(
            item,
            {"input": patch},
            ("response.custom_tool_call_input.delta", {"delta": patch}),
            ("response.custom_tool_call_input.done", {"input": patch}),
        )
        assert assembler.items[0]["input"] == patch


def test_a_local_shell_call_is_added_empty_and_done_with_its_action() -> None:
    arguments = json.dumps({"command": ["ls"], "workdir": "/w", "timeout_ms": 5})
    _, events = run(calls(fn("local_shell", arguments[:9], id="call_1")), calls(fn(None, arguments[9:])))  # fmt: skip
    action: Json = {"type": "exec", "command": [], "working_directory": None, "timeout_ms": None, "env": {}, "user": None}  # fmt: skip
    item = {"id": "lsc#1", "call_id": "call_1", "type": "local_shell_call", "status": "in_progress", "action": action}  # fmt: skip
    ran = {**action, "command": ["ls"], "working_directory": "/w", "timeout_ms": 5}
    assert events == call_events(item, {"status": "completed", "action": ran})


def test_output_index_is_dense_and_one_item_is_open_at_a_time() -> None:
    assembler, events = run(delta(reasoning_content="r"), delta(content="t"), calls(fn("get_weather", "{}", id="a")),
                            calls(fn("apply_patch", "x", id="b")), delta(content="u"), delta(reasoning_content="s"))  # fmt: skip
    steps = [(kind, more["output_index"]) for kind, more in events if kind in (ADDED, DONE)]
    assert steps == [(kind, index) for index in range(6) for kind in (ADDED, DONE)]
    kinds = [item["type"] for item in assembler.items]
    assert kinds == ["reasoning", "message", "function_call", "custom_tool_call", "message", "reasoning"]  # fmt: skip
    assert len({item["id"] for item in assembler.items}) == 6


def test_finished_leaves_out_the_open_item() -> None:
    assembler = Assembler(offered())
    assembler.feed(delta(content="t"))
    assert assembler.finished == []
    assembler.feed(calls(fn("get_weather", "{", id="a")))
    assert [item["type"] for item in assembler.finished] == ["message"]
    assert assembler.close()[-1][0] == DONE
    assert [item["type"] for item in assembler.finished] == ["message", "function_call"]
    assert assembler.close() == []
    assert Assembler(offered()).close() == []
    assert Assembler(offered()).finished == []


def test_finish_reason_usage_and_other_choices() -> None:
    usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    assembler = Assembler(offered())
    assert (assembler.usage, assembler.finish_reason, assembler.chunks) == (None, None, 0)
    other = {"index": 1, "delta": {"content": "other"}, "finish_reason": "length"}
    assert assembler.feed({"choices": [other]}) == []
    assert (assembler.finish_reason, assembler.items) == (None, [])
    assembler.feed({"choices": ["junk", {"index": 0, "delta": {"content": "t"}}]})
    assembler.feed({**finish("content_filter"), "usage": None})
    assembler.feed({"choices": [], "usage": usage})
    assembler.feed({"choices": [{"delta": {"content": None, "reasoning_content": 5, "tool_calls": ["junk"]}}]})  # fmt: skip
    assembler.feed({"choices": [{"delta": {"content": "u"}}]})  # no index: the first answer
    found = (assembler.finish_reason, assembler.usage, assembler.chunks)
    assert found == ("content_filter", usage, 6)
    assembler.close()
    assert [item["content"][0]["text"] for item in assembler.items] == ["tu"]


def test_reasoning_and_text_in_one_delta_are_both_sent() -> None:
    _, events = run(delta(reasoning_content="r", content="t"))
    kinds = [kind.removeprefix("response.") for kind, _ in events]
    assert kinds == [
        "output_item.added", "reasoning_summary_part.added", "reasoning_summary_text.delta",
        "reasoning_summary_text.done", "reasoning_summary_part.done", "output_item.done",
        "output_item.added", "content_part.added", "output_text.delta", "output_text.done",
        "content_part.done", "output_item.done",
    ]  # fmt: skip
