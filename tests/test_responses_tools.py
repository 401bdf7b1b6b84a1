"""Tool calls through the Responses API, with openai-python as the client and the stand-in
answering as Gemini does: one whole call per chunk, no `index`, a thought signature."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import openai
import pytest
from openai.types.responses import FunctionToolParam, ResponseInputItemParam
from pydantic import BaseModel

from tests.fake_google import FakeGoogle
from tests.gateways import InProcess, in_process, raw

GEMINI_3 = ("--model", "gemini-3-pro-preview")
WEATHER: FunctionToolParam = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]},
    "strict": True,
}  # fmt: skip
SPAWN = {
    "type": "namespace",
    "name": "multi_agent_v1",
    "description": "Agents.",
    "tools": [{"type": "function", "name": "spawn_agent", "parameters": {"type": "object"}}],
}
PATCH = {
    "type": "custom",
    "name": "apply_patch",
    "description": "Apply a patch.",
    "format": {"type": "grammar", "syntax": "lark", "definition": "start: /.+/"},
}
HOSTED = {"type": "web_search", "external_web_access": False}
PATCH_TEXT = "*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** End Patch\n"


def create(gateway: InProcess, **body: Any) -> dict[str, Any]:
    """A Responses request as sent (no SDK types in the way); its answer."""
    status, _, answer = raw(gateway, "POST", "/v1/responses", json.dumps(body).encode())
    assert status == 200, answer
    return dict(json.loads(answer))


def streamed(gateway: InProcess, **body: Any) -> list[dict[str, Any]]:
    """The events of a streamed Responses request."""
    status, _, answer = raw(
        gateway, "POST", "/v1/responses", json.dumps({**body, "stream": True}).encode()
    )
    assert status == 200, answer
    return [
        json.loads(line[len("data: ") :])
        for line in answer.decode().splitlines()
        if line.startswith("data: ")
    ]


def test_a_tool_loop_by_hand_sends_the_call_back_with_its_signature(
    gateway: InProcess, google: FakeGoogle
) -> None:
    client = gateway.client()
    first = client.responses.create(
        model="gemini-2.5-flash", input="weather in Paris?", tools=[WEATHER], store=False
    )
    (call,) = first.output
    assert call.type == "function_call"
    assert (call.name, call.call_id, call.arguments) == (
        "get_weather",
        "call_fake_1",
        '{"city": "Paris"}',
    )
    second = client.responses.create(
        model="gemini-2.5-flash",
        tools=[WEATHER],
        store=False,
        input=[
            {"role": "user", "content": "weather in Paris?"},
            *[cast("ResponseInputItemParam", item.model_dump()) for item in first.output],
            {"type": "function_call_output", "call_id": "call_fake_1", "output": "sunny"},
        ],
    )
    assert second.output_text == "the tool said: sunny"
    sent = google.chats[-1].json()
    assert sent["tools"] == [
        {"type": "function", "function": {k: v for k, v in WEATHER.items() if k in (
            "name", "description", "parameters")}}
    ]  # fmt: skip
    assistant, tool = sent["messages"][1:]
    assert assistant["tool_calls"][0]["id"] == "call_fake_1"
    assert assistant["tool_calls"][0]["extra_content"] == {"google": {"thought_signature": "sig-1"}}
    assert tool == {"role": "tool", "tool_call_id": "call_fake_1", "content": "sunny"}


def test_a_streamed_call_is_announced_then_finished_with_its_name(
    gateway: InProcess, google: FakeGoogle
) -> None:
    events = streamed(gateway, model="gemini-2.5-flash", input="weather?", tools=[WEATHER])
    assert [event["type"] for event in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    added, done = events[2]["item"], events[5]["item"]
    assert added["name"] == done["name"] == events[4]["name"] == "get_weather"
    assert (added["status"], done["status"]) == ("in_progress", "completed")
    assert done["arguments"] == events[4]["arguments"] == '{"city": "Paris"}'
    assert events[-1]["response"]["output"] == [done]
    assert events[-1]["response"]["usage"]["total_tokens"] == 10


@pytest.mark.parametrize("index_zero", [False, True])
def test_parallel_calls_in_chunks_of_their_own_stay_two_calls(
    index_zero: bool, gateway: InProcess, google: FakeGoogle
) -> None:
    google.parallel_calls, google.call_index_zero, google.preamble = True, index_zero, "Let me see."
    events = streamed(gateway, model="gemini-2.5-flash", input="weather?", tools=[WEATHER])
    done = [event for event in events if event["type"] == "response.output_item.done"]
    assert [(e["output_index"], e["item"]["type"]) for e in done] == [
        (0, "message"),
        (1, "function_call"),
        (2, "function_call"),
    ]
    assert [e["item"].get("call_id") for e in done] == [None, "call_fake_1", "call_fake_2"]
    assert {e["item"].get("arguments") for e in done[1:]} == {'{"city": "Paris"}'}
    numbers = [event["sequence_number"] for event in events]
    assert numbers == list(range(len(events)))


def test_a_namespaced_tool_comes_back_with_its_own_name_and_namespace(
    gateway: InProcess, google: FakeGoogle
) -> None:
    google.call_namespaced = True
    reply = create(gateway, model="gemini-2.5-flash", input="spawn", tools=[SPAWN, HOSTED])
    (call,) = reply["output"]
    assert (call["name"], call["namespace"]) == ("spawn_agent", "multi_agent_v1")
    names = [tool["function"]["name"] for tool in google.chats[-1].json()["tools"]]
    assert names == ["multi_agent_v1__spawn_agent"]  # and web_search left out
    create(
        gateway,
        model="gemini-2.5-flash",
        tools=[SPAWN],
        input=[
            {"role": "user", "content": "spawn"},
            call,
            {"type": "function_call_output", "call_id": call["call_id"], "output": "spawned"},
        ],
    )
    sent = google.chats[-1].json()["messages"][1]["tool_calls"][0]["function"]
    assert sent["name"] == "multi_agent_v1__spawn_agent"


def test_a_custom_tool_comes_back_as_its_raw_input(gateway: InProcess, google: FakeGoogle) -> None:
    events = streamed(gateway, model="gemini-2.5-flash", input="add hello.txt", tools=[PATCH])
    kinds = [event["type"] for event in events]
    assert "response.custom_tool_call_input.done" in kinds
    assert "response.function_call_arguments.delta" not in kinds
    call = events[-1]["response"]["output"][0]
    assert (call["type"], call["name"], call["input"]) == (
        "custom_tool_call",
        "apply_patch",
        PATCH_TEXT,
    )
    (tool,) = google.chats[-1].json()["tools"]
    assert tool["function"]["parameters"]["required"] == ["input"]
    assert "start: /.+/" in tool["function"]["description"]
    create(
        gateway,
        model="gemini-2.5-flash",
        tools=[PATCH],
        input=[
            {"role": "user", "content": "add hello.txt"},
            call,
            {"type": "custom_tool_call_output", "call_id": call["call_id"], "output": "Success"},
        ],
    )
    sent = google.chats[-1].json()["messages"][1]["tool_calls"][0]["function"]
    assert json.loads(sent["arguments"]) == {"input": PATCH_TEXT}


@pytest.mark.parametrize("restarted", [False, True])
def test_gemini_3_gets_each_calls_signature_back_or_the_documented_placeholder(
    restarted: bool, google: FakeGoogle, service_account: Path
) -> None:
    """The client keeps no signature (store false, as Codex): the gateway puts it back, and
    after a restart, which lost it, sends the placeholder Google documents."""
    google.stream_gap = 0
    ask = {"model": "gemini-3-pro-preview", "tools": [WEATHER], "store": False}
    with in_process(google, *GEMINI_3) as gateway:
        first = create(gateway, **ask, input="weather?")
        history = [
            {"role": "user", "content": "weather?"},
            *first["output"],
            {"type": "function_call_output", "call_id": "call_fake_1", "output": "sunny"},
        ]
        if not restarted:
            second = create(gateway, **ask, input=history)
    if restarted:
        with in_process(google, *GEMINI_3) as gateway:
            second = create(gateway, **ask, input=history)
    assert second["output"][0]["content"][0]["text"] == "the tool said: sunny"
    signature = google.chats[-1].json()["messages"][1]["tool_calls"][0]["extra_content"]
    wanted = "skip_thought_signature_validator" if restarted else "sig-1"
    assert signature == {"google": {"thought_signature": wanted}}


class Weather(BaseModel):
    city: str


def test_the_stream_helper_parses_a_calls_arguments(gateway: InProcess) -> None:
    tool = openai.pydantic_function_tool(Weather, name="get_weather")
    with gateway.client().responses.stream(
        model="gemini-2.5-flash", input="weather?", tools=[tool]
    ) as stream:
        final = stream.get_final_response()
    (call,) = final.output
    assert call.type == "function_call"
    assert call.parsed_arguments == Weather(city="Paris")
