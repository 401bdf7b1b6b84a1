"""Tool calls in chat chunks told apart however the model numbers them, their thought
signatures kept, and a whole (not streamed) completion fed as one chunk."""

from __future__ import annotations

import pytest

from tests.translating import Json, calls, fn, offered, run, stable
from vertex_openai_env.gateway.translate.items import Assembler, whole

PARIS = '{"city":"Paris"}'
ROME = '{"city":"Rome"}'


@pytest.mark.parametrize(
    ("chunks", "found"),
    [
        (  # Gemini: each call whole, in a chunk of its own, no index
            [calls(fn("get_weather", PARIS, id="a")), calls(fn("get_weather", ROME, id="b"))],
            [("a", PARIS), ("b", ROME)],
        ),
        (  # Gemini too: index 0 every time
            [calls(fn("get_weather", PARIS, id="a", index=0)), calls(fn("get_weather", "{}", id="b", index=0))],
            [("a", PARIS), ("b", "{}")],
        ),
        (  # both in one chunk
            [calls(fn("get_weather", PARIS, id="a"), fn("get_weather", "{}", id="b"))],
            [("a", PARIS), ("b", "{}")],
        ),
        (  # OpenAI: the id once, then pieces by index
            [calls(fn("get_weather", "", id="a", index=0)), calls(fn(None, '{"city"', index=0)), calls(fn(None, ':"Paris"}', index=0)),
             calls(fn("get_weather", "{", id="b", index=1)), calls(fn(None, "}", index=1))],
            [("a", PARIS), ("b", "{}")],
        ),
        (  # a late piece of a call already done still counts
            [calls(fn("get_weather", '{"city"', id="a", index=0)), calls(fn("get_weather", "{}", id="b", index=1)), calls(fn(None, ':"Paris"}', index=0))],
            [("a", PARIS), ("b", "{}")],
        ),
        (  # neither id nor index: pieces of the last call
            [calls(fn("get_weather", '{"city"')), calls(fn(None, ':"Paris"}'))],
            [("call#1", PARIS)],
        ),
        (  # an id that is no string is no id; an index that is no number, no index
            [calls(fn("get_weather", '{"city"', id=7)), calls(fn(None, ':"Paris"}', index="0"))],
            [("call#1", PARIS)],
        ),
        (  # a piece of the same id again
            [calls(fn("get_weather", '{"city"', id="a")), calls(fn(None, ':"Paris"}', id="a"))],
            [("a", PARIS)],
        ),
        (  # an empty id on later pieces is no id: the index says whose they are
            [calls(fn("get_weather", '{"city"', id="a", index=0)), calls(fn(None, ':"Paris"}', id="", index=0))],
            [("a", PARIS)],
        ),
    ],
)  # fmt: skip
def test_calls_are_told_apart_by_id_then_index(chunks: list[Json], found: list[tuple[str, str]]) -> None:  # fmt: skip
    assembler, events = run(*chunks)
    items = stable(assembler.items)
    assert [(item["call_id"], item["arguments"]) for item in items] == found
    assert all(item["name"] == "get_weather" and item["status"] == "completed" for item in items)
    added = [more for kind, more in events if kind == "response.output_item.added"]
    assert [each["output_index"] for each in added] == list(range(len(found)))


def test_deltas_stream_only_while_their_call_is_open() -> None:
    _, events = run(calls(fn("get_weather", '{"c"', id="a", index=0)), calls(fn("get_weather", "{}", id="b", index=1)),
                    calls(fn(None, ":1}", index=0)))  # fmt: skip
    kind = "response.function_call_arguments.delta"
    deltas = [(more["item_id"], more["delta"]) for each, more in events if each == kind]
    assert deltas == [("fc#1", '{"c"'), ("fc#2", "{}")]


def signed(signature: object) -> Json:
    return {"google": {"thought_signature": signature}}


def test_signatures_are_kept_by_call_id() -> None:
    assembler, _ = run(calls(fn("get_weather", "{}", extra_content=signed("sig-new"))),
                       calls(fn("get_weather", "{}", id="a", extra_content=signed("sig-a"))), calls(fn("get_weather", "{}", id="b")),
                       calls(fn("get_weather", "{}", id="c", extra_content=signed(""))),
                       calls(fn(None, "", extra_content=signed("sig-c"))),
                       calls(fn(None, "", id="b", extra_content={"google": "sig-b"})),
                       calls(fn(None, "", id="b", extra_content=signed(5))))  # fmt: skip
    new = stable(assembler.items[0]["call_id"])
    assert stable(assembler.signatures) == {"a": "sig-a", "c": "sig-c", new: "sig-new"}


def test_a_whole_completion_is_one_chunk() -> None:
    completion = {
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": "Let me look.", "reasoning_content": "hmm",
            "tool_calls": [fn("get_weather", PARIS), fn("get_weather", "{}", id=""), fn("get_weather", "{}", id="c")]}}],
        "usage": {"prompt_tokens": 1},
    }  # fmt: skip
    fed = whole(completion)
    assert fed is completion
    assert [call.get("index") for call in fed["choices"][0]["message"]["tool_calls"]] == [0, 1, None]  # fmt: skip
    assembler, _ = run(fed)
    items = stable(assembler.items)
    assert [(item["type"], item.get("call_id")) for item in items] == [
        ("reasoning", None), ("message", None), ("function_call", "call#1"), ("function_call", "call#2"), ("function_call", "c")]  # fmt: skip
    found = (items[2]["arguments"], assembler.finish_reason, assembler.usage)
    assert found == (PARIS, "tool_calls", {"prompt_tokens": 1})


def test_a_call_without_a_name_has_an_empty_one() -> None:
    assembler, _ = run(calls(fn(None, "{}", id="a")))
    assert (assembler.items[0]["name"], assembler.items[0]["arguments"]) == ("", "{}")


def test_whole_keeps_an_index_given() -> None:
    completion = {"choices": [{"message": {"tool_calls": [fn("f", "{}", index=3), "junk"]}}]}
    assert whole(completion)["choices"][0]["message"]["tool_calls"][0]["index"] == 3


@pytest.mark.parametrize("completion", [None, [], "text", {"choices": None}, {"choices": ["x", {"message": None}]}])  # fmt: skip
def test_whole_takes_anything(completion: object) -> None:
    assert Assembler(offered()).feed(whole(completion)) == []
