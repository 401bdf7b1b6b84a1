"""The Vertex stand-in's own rules: it refuses what Vertex refuses and answers as Gemini does.

A translator is only as well tested as its stand-in is strict: each rule is shown to fire
on a bad body and to let the matching good body through.
"""

from __future__ import annotations

import gzip
import json

import pytest

from tests.fake.chat_client import BASE, CHAT, GEMINI_3, HI, answer, answered, called, post, tool
from tests.fake.chat_rules import RESPONSES_ONLY, SKIP_SIGNATURE
from tests.fake_google import FakeGoogle, Json

# --- refusals -----------------------------------------------------------------------------

TOOL_TURN = [*HI, called("get_weather")]
CASES: dict[str, tuple[Json, Json]] = {
    **{f"Responses field {key}": ({key: None}, {}) for key in sorted(RESPONSES_ONLY)},
    "reasoning object, not reasoning_effort": ({"reasoning": {}}, {"reasoning_effort": "low"}),
    "a non-function tool": ({"tools": [{"type": "web_search"}]}, {"tools": [tool("f")]}),
    "the developer role": (
        {"messages": [{"role": "developer", "content": "be brief"}, *HI]},
        {"messages": [{"role": "system", "content": "be brief"}, *HI]},
    ),
    "a name starting with a digit": ({"tools": [tool("9lives")]}, {"tools": [tool("_9lives")]}),
    "a name with a slash": ({"tools": [tool("ns/name")]}, {"tools": [tool("ns__name")]}),
    "a name with a space": ({"tools": [tool("a b")]}, {"tools": [tool("a.b:c-d")]}),
    "a name of 65 characters": ({"tools": [tool("x" * 65)]}, {"tools": [tool("x" * 64)]}),
    "a tool_choice no tool declares": (
        {"tools": [tool("f")], "tool_choice": {"type": "function", "function": {"name": "g"}}},
        {"tools": [tool("f")], "tool_choice": {"type": "function", "function": {"name": "f"}}},
    ),
    "a tool message answering no call": (
        {"messages": [*TOOL_TURN, answered("call_other")]},
        {"messages": [*TOOL_TURN, answered("call_fake_1")]},
    ),
    "a tool message with no call before it": (
        {"messages": [*HI, answered()]},
        {"messages": [*HI, {"role": "assistant", "content": "ok"}, *HI]},
    ),
    "a call left unanswered at the end": (
        {"messages": TOOL_TURN},
        {"messages": [*TOOL_TURN, answered()]},
    ),
    "a call left unanswered": (
        {"messages": [*TOOL_TURN, {"role": "user", "content": "and?"}]},
        {"messages": [*TOOL_TURN, answered(), {"role": "user", "content": "and?"}]},
    ),
    "gemini-3: an unsigned call in the current turn": (
        {"model": GEMINI_3, "messages": [*TOOL_TURN, answered()]},
        {"model": GEMINI_3, "messages": [*HI, called("f", signature=SKIP_SIGNATURE), answered()]},
    ),
    "gemini-3: a signature it never gave": (
        {"model": GEMINI_3, "messages": [*HI, called("f", signature="forged"), answered()]},
        {"model": GEMINI_3, "messages": [*TOOL_TURN, answered(), *HI]},  # an earlier turn
    ),
}


@pytest.mark.parametrize(("bad", "good"), list(CASES.values()), ids=list(CASES))
def test_a_rule_refuses_the_bad_body_with_a_listed_400_and_takes_the_good_one(
    google: FakeGoogle, bad: Json, good: Json
) -> None:
    status, headers, body = post(google, {**BASE, **bad})
    assert (status, headers["content-type"]) == (400, "application/json")
    ((error,),) = [list(json.loads(body))]
    assert error["error"]["code"] == 400
    assert error["error"]["status"] == "INVALID_ARGUMENT"
    assert error["error"]["message"]
    status, _, body = post(google, {**BASE, **good})
    assert status == 200, body


def test_only_the_first_call_of_a_gemini_3_step_needs_the_signature_it_gave(
    google: FakeGoogle,
) -> None:
    first = answer(google, model=GEMINI_3, tools=[tool("f")])
    (call,) = first["tool_calls"]
    second = {"id": "call_b", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    step = {"role": "assistant", "content": None, "tool_calls": [call, second]}
    replies = [answered(call["id"]), answered("call_b")]
    assert answer(google, model=GEMINI_3, messages=[*HI, step, *replies])["content"]
    del call["extra_content"]
    status, _, body = post(google, {**BASE, "model": GEMINI_3, "messages": [*HI, step, *replies]})
    assert status == 400
    assert "missing a thought_signature" in json.loads(body)[0]["error"]["message"]


@pytest.mark.parametrize(
    ("encoding", "status"), [("gzip", 200), ("identity", 200), ("br", 400), ("deflate", 400)]
)
def test_a_body_in_an_encoding_it_does_not_know_is_refused(
    google: FakeGoogle, encoding: str, status: int
) -> None:
    data = json.dumps(BASE).encode()
    sent = gzip.compress(data) if encoding == "gzip" else data
    assert post(google, sent, [("Content-Encoding", encoding)])[0] == status
    assert google.chats[-1].body == sent


def test_every_chat_is_kept_with_its_headers_as_sent(google: FakeGoogle) -> None:
    google.fail_next(CHAT, lambda call: (503, {}, b""))
    post(google, b"{}", [("X-Dup", "1"), ("x-other", "a"), ("X-Dup", "2")])
    post(google, BASE)
    faulted, routed = google.chats
    assert faulted.body == b"{}"
    names = [name for name, _ in faulted.raw_headers]
    assert names[names.index("Authorization") :] == [
        "Authorization", "Content-Type", "X-Dup", "x-other", "X-Dup", "Content-Length"
    ]  # fmt: skip
    assert [value for name, value in faulted.raw_headers if name == "X-Dup"] == ["1", "2"]
    assert routed.json() == BASE
