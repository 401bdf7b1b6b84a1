"""A Responses request as a chat request: a body built from scratch, field by field."""

from __future__ import annotations

import pytest

from tests.translating import Json, function, lookup, refusal
from vertex_openai_env.gateway.translate.request import Plan, chat_request

MODEL = "google/gemini-2.5-flash"
HI = {"type": "message", "role": "user", "content": "hi"}
WEATHER = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}},
}
# Everything a client may send that Vertex must never see (Codex, the SDKs).
RESPONSES_ONLY: Json = {
    "model": "gemini-2.5-flash", "input": "hi", "instructions": "be brief", "store": False,
    "include": ["reasoning.encrypted_content"], "prompt_cache_key": "k", "prompt_cache_retention": "24h",
    "client_metadata": {"a": "b"}, "metadata": {"m": "1"}, "user": "u", "safety_identifier": "s",
    "service_tier": "auto", "truncation": "auto", "stream_options": {"include_obfuscation": False},
    "max_tool_calls": 3, "top_logprobs": 2, "context_management": [{"type": "compaction"}],
    "parallel_tool_calls": True, "previous_response_id": None, "background": False,
    "text": {"verbosity": "low"}, "reasoning": {"summary": "auto"},
}  # fmt: skip


def plan(body: Json, previous: list[object] | None = None, kept: Json | None = None) -> Plan:
    return chat_request(body, MODEL, previous or [], lookup(kept))


def test_no_responses_only_field_reaches_the_chat_body() -> None:
    assert plan(RESPONSES_ONLY).chat == {
        "model": MODEL,
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
    }


def test_every_mapped_field_is_sent_under_its_chat_name() -> None:
    body = {
        **RESPONSES_ONLY, "stream": True, "temperature": 0, "top_p": 0.5, "max_output_tokens": 100,
        "tools": [function("get_weather"), {"type": "web_search"}], "tool_choice": "required",
        "reasoning": {"effort": "minimal", "summary": "auto"},
        "text": {"format": {"type": "json_object"}, "verbosity": "high"},
    }  # fmt: skip
    assert plan(body).chat == {
        "model": MODEL,
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0,
        "top_p": 0.5,
        "max_tokens": 100,
        "tools": [WEATHER],
        "tool_choice": "required",
        "reasoning_effort": "low",
        "response_format": {"type": "json_object"},
    }


@pytest.mark.parametrize(
    ("more", "chat"),
    [
        ({"stream": False}, {}),
        ({"stream": "true"}, {}),
        ({"temperature": None, "top_p": None, "max_output_tokens": None}, {}),
        ({"max_output_tokens": 0}, {"max_tokens": 0}),
        ({"top_p": 0}, {"top_p": 0}),
        ({"tools": [{"type": "web_search"}], "tool_choice": "auto"}, {}),
        ({"tools": [function("get_weather")]}, {"tools": [WEATHER]}),
        ({"tools": [function("get_weather")], "tool_choice": "none"}, {"tools": [WEATHER], "tool_choice": "none"}),
        ({"tools": [function("get_weather")], "tool_choice": {"type": "function", "name": "get_weather"}},
         {"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}}),
        ({"tools": [function("get_weather"), function("other")], "tool_choice": {"type": "allowed_tools", "mode": "required", "tools": [{"type": "function", "name": "get_weather"}]}},
         {"tools": [WEATHER], "tool_choice": "required"}),
        ({"reasoning": "high"}, {}),
        ({"reasoning": {"effort": None}}, {}),
        ({"text": "json"}, {}),
        ({"text": {"format": "json_object"}}, {}),
        ({"text": {"format": {"type": "text"}}}, {}),
        ({"text": {"format": {"type": "json_schema", "name": "city", "schema": {"type": "object"}, "strict": True}}},
         {"response_format": {"type": "json_schema", "json_schema": {"name": "city", "schema": {"type": "object"}, "strict": True}}}),
        ({"text": {"format": {"type": "json_schema", "strict": False}}},
         {"response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": {}, "strict": False}}}),
        ({"text": {"format": {"type": "json_schema", "schema": {"type": "object"}}}},
         {"response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object"}}}}),
    ],
)  # fmt: skip
def test_optional_fields(more: Json, chat: Json) -> None:
    found = plan({"input": "hi", **more})
    assert found.chat == {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], **chat}
    assert found.stream is ("stream_options" in found.chat)


@pytest.mark.parametrize(
    ("effort", "sent"),
    [("none", "none"), ("minimal", "low"), ("low", "low"), ("medium", "medium"), ("high", "high"), ("xhigh", "high")],
)  # fmt: skip
def test_reasoning_effort(effort: str, sent: str) -> None:
    assert plan({"input": "hi", "reasoning": {"effort": effort}}).chat["reasoning_effort"] == sent


@pytest.mark.parametrize(
    ("body", "param", "says"),
    [
        ({"input": "hi", "reasoning": {"effort": "max"}}, "reasoning.effort", "reasoning.effort 'max' is not known"),
        ({"input": "hi", "reasoning": {"effort": "e" * 30}}, "reasoning.effort", f"reasoning.effort {'e' * 20!r} is not known"),
        ({"input": "hi", "reasoning": {"effort": ["high"]}}, "reasoning.effort", "reasoning.effort \"['high']\" is not known"),
        ({"input": "hi", "background": True}, "background", "background responses are not supported by the gateway"),
        ({"input": "hi", "conversation": "conv_1"}, "conversation", "conversations are not supported by the gateway: use previous_response_id"),
        ({"input": "hi", "prompt": {"id": "pmpt_1"}}, "prompt", "prompt templates are not supported by the gateway"),
        ({"input": 5}, "input", "input must be a string or a list of items"),
        ({"input": {"role": "user"}}, "input", "input must be a string or a list of items"),
        ({"instructions": "only this"}, "input", "the input holds no message to answer"),
        ({"input": [{"type": "message", "role": "developer", "content": "x"}]}, "input", "the input holds no message to answer"),
        ({"input": []}, "input", "the input holds no message to answer"),
        ({"input": "hi", "tools": {}}, "tools", "tools must be a list"),
        ({"input": "hi", "tool_choice": {"type": "web_search"}, "tools": [{"type": "web_search"}]}, "tool_choice", "tool_choice names 'web_search', not an offered tool"),
        ({"input": [{"type": "bogus"}]}, "input[0]", "input item type 'bogus' is not supported"),
    ],
)  # fmt: skip
def test_requests_vertex_cannot_take_are_refused(body: Json, param: str, says: str) -> None:
    problem = refusal(plan, body)
    assert (problem.status, problem.param) == (400, param)
    assert problem.message == says


def test_a_body_that_is_no_object_is_refused() -> None:
    problem = refusal(chat_request, ["hi"], MODEL, [], lookup())
    assert (problem.status, problem.param, problem.message) == (
        400,
        None,
        "the request body must be a JSON object",
    )


def test_instructions_come_first_then_the_leading_developer_text() -> None:
    developer = {"type": "message", "role": "developer", "content": "dev"}
    found = plan({"instructions": "rules", "input": [developer, HI]})
    assert found.chat["messages"] == [
        {"role": "system", "content": "rules\n\ndev"},
        {"role": "user", "content": "hi"},
    ]
    assert (
        plan({"instructions": "", "input": [developer, HI]}).chat["messages"][0]["content"] == "dev"
    )
    assert plan({"instructions": ["x"], "input": "hi"}).chat["messages"] == [
        {"role": "user", "content": "hi"}
    ]


def test_previous_items_come_before_the_new_input() -> None:
    earlier: list[object] = [{"type": "message", "role": "user", "content": "first"},
                             {"type": "message", "role": "assistant", "content": "answer"}]  # fmt: skip
    found = plan({"input": "second", "instructions": "rules"}, earlier)
    assert found.chat["messages"] == [
        {"role": "system", "content": "rules"},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "answer"},
        {"role": "user", "content": "second"},
    ]
    assert found.items == [*earlier, {"type": "message", "role": "user", "content": "second"}]
    assert found.inputs == [{"type": "message", "role": "user", "content": "second"}]


@pytest.mark.parametrize(
    ("more", "stream", "store"),
    [({}, False, True), ({"store": None}, False, True), ({"store": False}, False, False),
     ({"store": True, "stream": True}, True, True), ({"stream": 1}, False, True)],
)  # fmt: skip
def test_plan_says_whether_to_stream_and_store(more: Json, stream: bool, store: bool) -> None:
    found = plan({"input": [HI], **more})
    assert (found.stream, found.store, found.inputs, found.items) == (stream, store, [HI], [HI])


def test_the_plan_carries_the_tools_for_the_answer() -> None:
    found = plan(
        {"input": "hi", "tools": [{"type": "namespace", "name": "ns", "tools": [function("f")]}]}
    )
    assert found.tools.origin("ns__f").namespace == "ns"


def test_the_conversation_to_keep_holds_the_items_referred_to() -> None:
    """So that continuing from it needs no older response, which may be gone by then."""
    kept = {"type": "message", "role": "assistant", "content": "kept", "id": "msg_1"}
    reference = {"type": "item_reference", "id": "msg_1"}
    edited = {**kept, "content": "edited"}  # an item sent again as the client has it: as it is
    earlier: list[object] = [HI, reference]
    found = plan({"input": [reference, edited, HI]}, earlier, {"msg_1": kept})
    assert (found.items, found.inputs) == ([HI, kept, kept, edited, HI], [reference, edited, HI])


def test_calls_in_the_input_are_named_and_signed_as_the_lookup_says() -> None:
    items = [
        HI,
        {
            "type": "function_call",
            "call_id": "c1",
            "name": "f",
            "namespace": "ns",
            "arguments": "{}",
        },
    ]
    tools = [{"type": "namespace", "name": "ns", "tools": [function("f")]}]
    chat = chat_request({"input": items, "tools": tools}, MODEL, [], lookup(gemini=True)).chat
    call = {"id": "c1", "type": "function", "function": {"name": "ns__f", "arguments": "{}"},
            "extra_content": {"google": {"thought_signature": "skip_thought_signature_validator"}}}  # fmt: skip
    assert chat["messages"][1:] == [
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "aborted"},
    ]
