"""The legacy Completions API through the gateway, with openai-python as the client."""

from __future__ import annotations

import json

import openai
import pytest

from tests.fake.chat_errors import chat_error
from tests.fake_google import FakeGoogle
from tests.gateways import CHAT, InProcess, raw

HELLO = "Hello from google/gemini-2.5-flash in my-proj/us-central1"


def test_a_prompt_is_answered_as_text(gateway: InProcess, google: FakeGoogle) -> None:
    reply = gateway.client().completions.create(
        model="gemini-2.5-flash", prompt="Say hello", max_tokens=20, stop=["\n"]
    )
    assert reply.object == "text_completion"
    assert [choice.text for choice in reply.choices] == [HELLO]
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None
    assert reply.usage.total_tokens == 10
    assert google.chats[-1].json() == {
        "model": "google/gemini-2.5-flash",
        "messages": [{"role": "user", "content": "Say hello"}],
        "max_tokens": 20,
        "stop": ["\n"],
    }


def test_a_streamed_prompt_comes_back_piece_by_piece(
    gateway: InProcess, google: FakeGoogle
) -> None:
    pieces = [
        chunk.choices[0].text
        for chunk in gateway.client().completions.create(
            model="gemini-2.5-flash", prompt=["Say hello"], stream=True
        )
    ]
    assert len(pieces) == google.stream_chunks
    assert "".join(pieces) == HELLO
    assert google.chats[-1].json()["stream"] is True


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"suffix": "}"}, "suffix"),
        ({"echo": True}, "echo"),
        ({"best_of": 2}, "best_of"),
        ({"prompt": ["one", "two"]}, "prompt"),
        ({"prompt": [1, 2, 3]}, "prompt"),
    ],
)
def test_what_chat_cannot_do_is_refused_before_it_goes(
    extra: dict[str, object], param: str, gateway: InProcess, google: FakeGoogle
) -> None:
    body = json.dumps({"model": "gemini-2.5-flash", "prompt": "x", **extra}).encode()
    status, _, answer = raw(gateway, "POST", "/v1/completions", body)
    assert status == 400
    assert json.loads(answer)["error"]["param"] == param
    assert google.chats == []


def test_vertexs_error_comes_back_in_openais_format(gateway: InProcess, google: FakeGoogle) -> None:
    google.fail_next(CHAT, chat_error(500))
    with pytest.raises(openai.InternalServerError, match="Vertex AI answered 500"):
        gateway.client(max_retries=0).completions.create(model="gemini-2.5-flash", prompt="x")


def test_a_stream_cut_midway_is_cut_for_the_client_too(
    gateway: InProcess, google: FakeGoogle
) -> None:
    google.fail_next(CHAT, google.cut_stream())
    stream = gateway.client(max_retries=0).completions.create(
        model="gemini-2.5-flash", prompt="x", stream=True
    )
    with pytest.raises(openai.APIError):
        list(stream)
    assert gateway.said_soon("POST /v1/completions 200 broke off")
