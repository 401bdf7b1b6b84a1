"""The Responses API through the gateway, with the real openai-python as its client and the
stand-in as Vertex AI: what the client gets, and what Vertex receives."""

from __future__ import annotations

import json

import openai
import pytest
from openai.types.responses import ResponseInputItemParam

from tests.fake_google import FakeGoogle
from tests.gateways import CHAT, InProcess, raw

HELLO = "Hello from google/gemini-2.5-flash in my-proj/us-central1"
TEXT_EVENTS = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    *["response.output_text.delta"] * 5,  # the stand-in's five chunks
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]
RESPONSES_ONLY = {"input", "instructions", "store", "include", "previous_response_id",
                  "prompt_cache_key", "client_metadata", "parallel_tool_calls", "text",
                  "reasoning", "max_output_tokens", "metadata", "truncation", "user"}  # fmt: skip


def test_a_plain_response_is_the_chat_answer_with_full_usage(
    gateway: InProcess, google: FakeGoogle
) -> None:
    reply = gateway.client().responses.create(
        model="gemini-2.5-flash",
        input="hi",
        instructions="be brief",
        max_output_tokens=50,
        temperature=0.2,
        metadata={"run": "7"},
        store=False,
        include=["reasoning.encrypted_content"],
        prompt_cache_key="k",
        parallel_tool_calls=True,
    )
    assert reply.output_text == HELLO
    assert reply.status == "completed"
    assert reply.metadata == {"run": "7"}
    assert reply.model == "gemini-2.5-flash"  # as asked, not as Vertex names it
    assert reply.usage is not None
    assert reply.usage.total_tokens == 10
    assert reply.usage.input_tokens_details.cached_tokens == 0
    assert reply.usage.output_tokens_details.reasoning_tokens == 0
    (chat,) = google.chats
    assert chat.path == CHAT
    assert chat.json() == {
        "model": "google/gemini-2.5-flash",
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
        "temperature": 0.2,
        "max_tokens": 50,
    }
    assert chat.headers["accept-encoding"] == "identity"


def test_a_stream_sends_every_event_in_order_numbered_from_zero(
    gateway: InProcess, google: FakeGoogle
) -> None:
    events = list(
        gateway.client().responses.create(model="gemini-2.5-flash", input="hi", stream=True)
    )
    assert [event.type for event in events] == TEXT_EVENTS
    assert [event.sequence_number for event in events] == list(range(len(events)))
    deltas = [event.delta for event in events if event.type == "response.output_text.delta"]
    assert "".join(deltas) == HELLO
    completed = events[-1].response  # type: ignore[union-attr]
    assert completed.output_text == HELLO
    assert completed.id == events[0].response.id  # type: ignore[union-attr]
    sent = google.chats[-1].json()
    assert sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}
    assert not RESPONSES_ONLY & set(sent)


def test_the_stream_helper_gets_its_final_response(gateway: InProcess) -> None:
    with gateway.client().responses.stream(model="gemini-2.5-flash", input="hi") as stream:
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        final = stream.get_final_response()
    assert text == final.output_text == HELLO


def test_a_stored_response_is_continued_retrieved_and_deleted(
    gateway: InProcess, google: FakeGoogle
) -> None:
    client = gateway.client()
    first = client.responses.create(model="gemini-2.5-flash", input="one", instructions="old")
    second = client.responses.create(
        model="gemini-2.5-flash", input="two", previous_response_id=first.id, instructions="new"
    )
    assert second.previous_response_id == first.id
    assert google.chats[-1].json()["messages"] == [
        {"role": "system", "content": "new"},  # instructions are not carried over
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": HELLO},
        {"role": "user", "content": "two"},
    ]
    assert client.responses.retrieve(first.id).output_text == HELLO
    items = client.responses.input_items.list(second.id)
    assert [item.model_dump(exclude_none=True)["content"] for item in items.data] == [
        [{"type": "input_text", "text": "two"}]
    ]
    client.responses.delete(first.id)
    with pytest.raises(openai.NotFoundError, match="not kept by the gateway"):
        client.responses.retrieve(first.id)
    assert [chat.path for chat in google.chats] == [CHAT, CHAT]  # nothing else reached Vertex


def test_an_unknown_previous_response_is_a_400_saying_what_is_kept(
    gateway: InProcess, google: FakeGoogle
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        gateway.client().responses.create(
            model="gemini-2.5-flash", input="two", previous_response_id="resp_gone"
        )
    assert caught.value.code == "previous_response_not_found"
    assert "the last 256 responses for 1h" in str(caught.value)
    assert google.chats == []


def test_store_false_keeps_nothing_to_continue_from(gateway: InProcess) -> None:
    client = gateway.client()
    first = client.responses.create(model="gemini-2.5-flash", input="one", store=False)
    with pytest.raises(openai.BadRequestError):
        client.responses.create(
            model="gemini-2.5-flash", input="two", previous_response_id=first.id
        )
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(first.id)


def test_an_item_of_a_stored_response_can_be_referred_to(
    gateway: InProcess, google: FakeGoogle
) -> None:
    client = gateway.client()
    first = client.responses.create(model="gemini-2.5-flash", input="one")
    message_id = first.output[0].id
    conversation: list[ResponseInputItemParam] = [
        {"role": "user", "content": "one"},
        {"type": "item_reference", "id": str(message_id)},
        {"role": "user", "content": "two"},
    ]
    client.responses.create(model="gemini-2.5-flash", input=conversation)
    assert google.chats[-1].json()["messages"][1] == {"role": "assistant", "content": HELLO}
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model="gemini-2.5-flash", input=[{"type": "item_reference", "id": "msg_gone"}]
        )
    assert caught.value.code == "item_not_found"


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"input": "hi"}, "model", "invalid_request"),
        ({"model": "m", "input": "hi", "background": True}, "background", "invalid_request"),
        ({"model": "m", "input": [{"type": "bogus"}]}, "input[0]", "invalid_request"),
        ({"model": "m", "input": "hi", "tools": [{"type": "shell"}]}, "tools[0]", "invalid_request"),
        ({"model": "m", "input": [{"role": "user", "content": [
            {"type": "input_file", "file_id": "file-1"}]}]}, "input[0].content[0]", "invalid_request"),
    ],
)  # fmt: skip
def test_a_request_vertex_cannot_take_is_refused_before_it_goes(
    body: dict[str, object], param: str, code: str, gateway: InProcess, google: FakeGoogle
) -> None:
    status, _, answer = raw(gateway, "POST", "/v1/responses", json.dumps(body).encode())
    assert status == 400
    error = json.loads(answer)["error"]
    assert (error["param"], error["code"], error["type"]) == (param, code, "invalid_request_error")
    assert google.chats == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/responses/resp_1/cancel"),
        ("POST", "/v1/responses/compact"),
        ("POST", "/v1/responses/input_tokens"),
        ("PUT", "/v1/responses/resp_1"),
    ],
)
def test_what_the_gateway_does_not_keep_is_a_clear_404_never_forwarded(
    method: str, path: str, gateway: InProcess, google: FakeGoogle
) -> None:
    status, _, answer = raw(gateway, method, path, b"{}")
    assert status == 404
    assert "the gateway does not serve" in json.loads(answer)["error"]["message"]
    assert google.calls == [call for call in google.calls if call.path == "/token"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/responses"),
        ("GET", "/v1/responses/resp_1"),
        ("DELETE", "/v1/responses/resp_1"),
        ("GET", "/v1/responses/resp_1/input_items"),
        ("POST", "/v1/completions"),
    ],
)
def test_no_key_no_translated_route(
    method: str, path: str, gateway: InProcess, google: FakeGoogle
) -> None:
    status, _, _ = raw(gateway, method, path, b'{"model": "m", "input": "hi"}', headers={})
    assert status == 401
    assert google.chats == []


@pytest.mark.parametrize(
    ("encoding", "body", "status"),
    [
        ("br", b"{}", 415),
        ("gzip", b"not gzip", 400),
    ],
)
def test_a_body_the_gateway_cannot_read_is_refused(
    encoding: str, body: bytes, status: int, gateway: InProcess
) -> None:
    headers = {"authorization": f"Bearer {gateway.key}", "content-encoding": encoding}
    assert raw(gateway, "POST", "/v1/responses", body, headers)[0] == status
