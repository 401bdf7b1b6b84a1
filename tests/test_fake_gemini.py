"""The Vertex stand-in answers as Gemini does, and breaks as Vertex does when a test asks.

The shapes here are what a translator is written against: a tool call whole in one chunk
with no `index`, its signature under `extra_content.google`, a finish-reason chunk, usage
only when asked for, reasoning before text, and Vertex's listed errors.
"""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from tests.fake.chat_client import BASE, CHAT, HI, answer, answered, called, events, post, tool
from tests.fake_google import (
    FakeGoogle,
    Json,
    chat_error,
    not_found_page,
    quoting_error,
)

STREAM: Json = {"stream": True, "stream_options": {"include_usage": True}}
THOUGHTS: Json = {"extra_body": {"google": {"thinking_config": {"include_thoughts": True}}}}
WEATHER = tool("get_weather", city="string")


@pytest.fixture
def fake(google: FakeGoogle) -> FakeGoogle:
    google.stream_gap = 0
    return google


def streamed(google: FakeGoogle, /, **body: Any) -> list[Any]:
    status, headers, data = post(google, {**BASE, **body, "stream": True})
    assert (status, headers["content-type"]) == (200, "text/event-stream"), data
    return events(data)


def deltas(chunks: list[Any]) -> list[Json]:
    return [
        chunk["choices"][0]["delta"] for chunk in chunks if chunk != "[DONE]" and chunk["choices"]
    ]


def test_a_tool_turn_streams_one_whole_signed_call_then_the_finish_the_usage_and_done(
    fake: FakeGoogle,
) -> None:
    tools = [tool("write_stdin", chars="string"), tool("exec_command", cmd="string"), WEATHER]
    call, finish, usage, done = streamed(fake, tools=tools, **STREAM)
    assert call["choices"][0]["delta"] == {
        "role": "assistant",
        "tool_calls": [{
            "id": "call_fake_1",
            "type": "function",
            "function": {"name": "exec_command", "arguments": '{"cmd": "echo hello-from-tool"}'},
            "extra_content": {"google": {"thought_signature": "sig-1"}},
        }],
    }  # fmt: skip
    assert call["choices"][0]["finish_reason"] is None
    assert finish["choices"] == [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]
    assert (usage["choices"], usage["usage"]["total_tokens"]) == ([], 10)
    assert done == "[DONE]"


@pytest.mark.parametrize(
    ("tools", "choice", "name", "arguments"),
    [
        ([WEATHER, tool("apply_patch", input="string")], None, "apply_patch", {"input": "*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** End Patch\n"}),
        ([tool("lookup", q="string"), WEATHER], "required", "get_weather", {"city": "Paris"}),
        ([tool("lookup", q="string", n="integer", ok="boolean")], None, "lookup", {"q": "x", "n": 0, "ok": False}),
        ([WEATHER, tool("lookup", q="string")], {"type": "function", "function": {"name": "lookup"}}, "lookup", {"q": "x"}),
    ],
    ids=["apply_patch before get_weather", "get_weather before others", "the first tool, filled", "the tool_choice"],
)  # fmt: skip
def test_the_tool_it_calls_and_its_arguments(
    fake: FakeGoogle, tools: list[Json], choice: Any, name: str, arguments: Json
) -> None:
    chosen = {"tool_choice": choice} if choice else {}
    (call,) = answer(fake, tools=tools, **chosen)["tool_calls"]
    assert (call["function"]["name"], json.loads(call["function"]["arguments"])) == (
        name,
        arguments,
    )


def test_a_namespaced_tool_is_called_first_when_asked(fake: FakeGoogle) -> None:
    tools = [tool("exec_command", cmd="string"), tool("multi_agent_v1__spawn_agent", task="string")]
    assert answer(fake, tools=tools)["tool_calls"][0]["function"]["name"] == "exec_command"
    fake.call_namespaced = True
    assert (
        answer(fake, tools=tools)["tool_calls"][0]["function"]["name"]
        == "multi_agent_v1__spawn_agent"
    )


def test_no_call_when_told_none_or_when_the_turn_already_has_its_tool_answer(
    fake: FakeGoogle,
) -> None:
    plain = "Hello from google/gemini-2.5-flash in my-proj/us-central1"
    message = answer(fake, tools=[WEATHER], tool_choice="none")
    assert (message["content"], "tool_calls" in message) == (plain, False)
    history = [*HI, called("get_weather"), answered(), {"role": "assistant", "content": "ok"}]
    assert answer(fake, tools=[WEATHER], messages=history)["content"] == plain


def test_a_whole_answer_to_a_tool_turn_has_the_call_and_finish_reason(fake: FakeGoogle) -> None:
    _, _, data = post(fake, {**BASE, "tools": [WEATHER]})
    (choice,) = json.loads(data)["choices"]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    assert choice["message"]["tool_calls"][0]["id"] == "call_fake_1"
    assert "index" not in choice["message"]["tool_calls"][0]


def test_the_answer_turn_says_what_the_tool_said_in_chunks(fake: FakeGoogle) -> None:
    output = "hello-from-tool and a long tail that goes past forty characters"
    messages = [*HI, called("get_weather"), answered(content=output)]
    chunks = streamed(fake, tools=[WEATHER], messages=messages)
    texts = [delta["content"] for delta in deltas(chunks)]
    assert len(texts) >= 2
    assert "".join(texts) == "the tool said: " + output[:40]
    assert [chunk["choices"][0]["finish_reason"] for chunk in chunks[:-1]][-1] == "stop"
    assert chunks[-1] == "[DONE]"  # no usage chunk: the request did not ask for one


def test_words_before_the_call_come_first_in_the_same_answer(fake: FakeGoogle) -> None:
    fake.preamble = "Let me check the weather."
    sent = deltas(streamed(fake, tools=[WEATHER]))
    text = [delta["content"] for delta in sent if "content" in delta]
    assert "".join(text) == "Let me check the weather."
    assert [("tool_calls" in delta) for delta in sent] == [False] * len(text) + [True, False]
    finishes = [
        chunk["choices"][0]["finish_reason"] for chunk in streamed(fake, tools=[WEATHER])[:-1]
    ]
    assert finishes == [None] * (len(text) + 1) + ["tool_calls"]
    assert answer(fake, tools=[WEATHER])["content"] == "Let me check the weather."


@pytest.mark.parametrize("index_zero", [False, True])
def test_parallel_calls_come_in_chunks_of_their_own_with_their_own_ids(
    fake: FakeGoogle, index_zero: bool
) -> None:
    fake.parallel_calls, fake.call_index_zero = True, index_zero
    first, second = (delta["tool_calls"] for delta in deltas(streamed(fake, tools=[WEATHER]))[:2])
    assert [call["id"] for call in first + second] == ["call_fake_1", "call_fake_2"]
    assert [call.get("index") for call in first + second] == (
        [0, 0] if index_zero else [None, None]
    )
    assert "extra_content" in first[0]
    assert "extra_content" not in second[0]  # Gemini signs the first call of a step only


def test_thoughts_come_before_the_text_when_asked_for_as_google_documents(
    fake: FakeGoogle,
) -> None:
    sent = deltas(streamed(fake, **THOUGHTS))
    kinds = ["reasoning_content" if "reasoning_content" in delta else "content" for delta in sent]
    assert kinds == ["reasoning_content"] * 2 + ["content"] * 5
    assert answer(fake, **THOUGHTS)["reasoning_content"]
    before_a_call = deltas(streamed(fake, tools=[WEATHER], **THOUGHTS))
    assert [next(iter(delta.keys() - {"role"}), "") for delta in before_a_call] == [
        "reasoning_content", "reasoning_content", "tool_calls", ""
    ]  # fmt: skip
    assert "reasoning_content" not in answer(fake, google=THOUGHTS["extra_body"]["google"])


def test_usage_details_are_absent_unless_switched_on(fake: FakeGoogle) -> None:
    usage = json.loads(post(fake, BASE)[2])["usage"]
    assert usage == {"prompt_tokens": 3, "completion_tokens": 7, "total_tokens": 10}
    fake.cached_tokens, fake.reasoning_tokens = 2, 4
    usage = streamed(fake, **STREAM)[-2]["usage"]
    assert usage["prompt_tokens_details"] == {"cached_tokens": 2}
    assert usage["completion_tokens_details"] == {"reasoning_tokens": 4}


# --- faults -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [400, 429, 500, 503])
def test_errors_come_listed_as_vertex_sends_them(fake: FakeGoogle, code: int) -> None:
    fake.fail_next(CHAT, chat_error(code, retry_after="20" if code == 429 else None))
    status, headers, body = post(fake, BASE)
    ((error,),) = [json.loads(body)]
    assert (status, error["error"]["code"]) == (code, code)
    assert error["error"]["status"] in {
        "INVALID_ARGUMENT",
        "RESOURCE_EXHAUSTED",
        "INTERNAL",
        "UNAVAILABLE",
    }
    assert headers.get("retry-after") == ("20" if code == 429 else None)


def test_an_error_can_come_in_chunks(fake: FakeGoogle) -> None:
    fake.fail_next(CHAT, chat_error(503, "busy", chunked=True))
    status, headers, body = post(fake, BASE)
    assert (status, headers["transfer-encoding"]) == (503, "chunked")
    assert json.loads(body)[0]["error"]["message"] == "busy"


def test_the_quoting_400_quotes_the_first_message(fake: FakeGoogle) -> None:
    fake.fail_next(CHAT, quoting_error())
    prompt = "my secret plan is to take over the world"
    status, _, body = post(fake, {**BASE, "messages": [{"role": "user", "content": prompt}]})
    assert status == 400
    assert json.dumps(prompt[:30]) in json.loads(body)[0]["error"]["message"]
    assert prompt[:31] not in json.loads(body)[0]["error"]["message"]


def test_a_cut_stream_sends_its_first_event_and_no_end(fake: FakeGoogle) -> None:
    fake.fail_next(CHAT, fake.cut_stream())
    with pytest.raises(http.client.IncompleteRead) as caught:
        post(fake, {**BASE, "stream": True})
    (first,) = events(caught.value.partial)
    assert first["choices"][0]["delta"]["content"] == "Hello "
    assert len(fake.chats) == 1


def test_finish_length_keeps_the_answer_and_says_it_ran_out(fake: FakeGoogle) -> None:
    fake.fail_next(CHAT, fake.finish_length(), fake.finish_length())
    assert json.loads(post(fake, BASE)[2])["choices"][0]["finish_reason"] == "length"
    last = streamed(fake)[-2]
    assert last["choices"][0]["finish_reason"] == "length"


def test_an_unknown_path_can_get_googles_html_404(fake: FakeGoogle) -> None:
    fake.html_404 = True
    connection = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
    connection.request("GET", "/v1/<nowhere>")
    reply = connection.getresponse()
    page = reply.read().decode()
    assert (reply.status, reply.getheader("content-type")) == (404, "text/html; charset=UTF-8")
    assert "<code>/v1/&lt;nowhere&gt;</code> was not found" in page
    fake.fail_next(CHAT, not_found_page())
    assert post(fake, BASE)[0] == 404
