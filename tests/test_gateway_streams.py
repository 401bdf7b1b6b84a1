"""The chat streams the gateway reads to translate (Responses API): how each one ends, is
cut, stalls or carries an error, and what the client is told."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fake_google import FakeGoogle, Fault
from tests.gateways import CHAT, MODEL, InProcess, in_process, raw

ASK = {"model": "gemini-2.5-flash", "input": "hi"}
SSE = {"content-type": "text/event-stream"}


@pytest.fixture
def gateway(google: FakeGoogle, service_account: Path) -> Iterator[InProcess]:
    google.stream_gap = 0
    with in_process(google, *MODEL, read_timeout=0.5) as running:
        yield running


def event(content: str | None = None, finish: str | None = None) -> bytes:
    delta = {} if content is None else {"content": content}
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return b"data: " + json.dumps({"choices": [choice]}).encode() + b"\n\n"


def streamed(gateway: InProcess, google: FakeGoogle, fault: Fault) -> list[Any]:
    """The events of a streamed Responses request that Vertex answers with `fault`."""
    google.fail_next(CHAT, fault)
    client = gateway.client(max_retries=0)
    return list(client.responses.create(model="gemini-2.5-flash", input="hi", stream=True))


def failure(events: list[Any]) -> tuple[str, str]:
    assert events[-1].type == "response.failed"
    error = events[-1].response.error
    return error.code, error.message


def test_a_stream_goes_out_as_server_sent_events_no_cache_may_keep(gateway: InProcess) -> None:
    status, headers, body = raw(
        gateway, "POST", "/v1/responses", json.dumps({**ASK, "stream": True}).encode()
    )
    assert status == 200
    assert headers["content-type"] == "text/event-stream"
    assert headers["cache-control"] == "no-cache"
    assert body.startswith(b"event: response.created\n")


def test_a_stream_answered_as_one_json_body_is_read_as_one_chunk(
    gateway: InProcess, google: FakeGoogle
) -> None:
    message = {"role": "assistant", "content": "caf\u00e9 \udcff"}
    answer = {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
    body = json.dumps(answer, ensure_ascii=False).encode("utf-8", "surrogateescape")
    assert b"\xff" in body  # a byte that is not UTF-8: read as U+FFFD, not refused
    events = streamed(
        gateway, google, lambda call: (200, {"content-type": "application/json"}, body)
    )
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == "caf\u00e9 \ufffd"


def test_a_stream_answered_with_a_body_that_is_not_json_names_event_1(
    gateway: InProcess, google: FakeGoogle
) -> None:
    events = streamed(gateway, google, lambda call: (200, {"content-type": "text/plain"}, b"oops"))
    assert failure(events) == (
        "server_error",
        "Vertex AI sent an event that is not JSON (event 1)",
    )


def test_an_event_that_is_not_an_object_is_named_by_its_number(
    gateway: InProcess, google: FakeGoogle
) -> None:
    body = event("Hel") + b"data: [1, 2]\n\n"
    events = streamed(gateway, google, lambda call: (200, SSE, body))
    assert failure(events) == (
        "server_error",
        "Vertex AI sent an event that is not an object (event 2)",
    )


@pytest.mark.parametrize(("chunks", "said"), [(1, "1 chunk"), (2, "2 chunks")])
def test_a_stream_that_ends_without_finishing_is_failed_and_explained(
    gateway: InProcess, google: FakeGoogle, chunks: int, said: str
) -> None:
    body = b"".join(event(word) for word in ["Hel", "lo"][:chunks])
    events = streamed(gateway, google, lambda call: (200, SSE, body))
    assert failure(events) == (
        "server_error",
        f"Vertex AI stream broke off after {said}: it ended without finishing",
    )
    assert "an answer from Vertex AI broke off: it ended without finishing" in gateway.said


@pytest.mark.parametrize(
    "body",
    [
        event("Hel") + event("lo", "stop"),  # finished, but no [DONE]
        event("Hel") + event("lo", "stop").rstrip(b"\n"),  # nor the last blank line
        event("Hel") + event("lo") + b"data: [DONE]",  # [DONE], its blank line missing
    ],
    ids=["no-done", "no-blank-line", "done-unterminated"],
)
def test_a_stream_that_finished_or_said_done_is_whole_however_it_ends(
    gateway: InProcess, google: FakeGoogle, body: bytes
) -> None:
    events = streamed(gateway, google, lambda call: (200, SSE, body))
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == "Hello"


def test_a_last_event_without_its_blank_line_still_counts(
    gateway: InProcess, google: FakeGoogle
) -> None:
    body = event("Hel") + event("lo").rstrip(b"\n")
    events = streamed(gateway, google, lambda call: (200, SSE, body))
    assert failure(events)[1] == (
        "Vertex AI stream broke off after 2 chunks: it ended without finishing"
    )


def test_a_stream_that_stalls_is_failed_after_the_read_timeout(
    gateway: InProcess, google: FakeGoogle
) -> None:
    def stalls(call: object) -> Iterator[bytes]:
        yield event("Hel")
        time.sleep(1.5)
        yield event("lo", "stop")

    events = streamed(gateway, google, lambda call: (200, SSE, stalls(call)))
    assert failure(events) == (
        "server_error",
        "Vertex AI stream broke off after 1 chunk: no data for 0.5s",
    )
    assert "an answer from Vertex AI broke off: no data for 0.5s" in gateway.said


@pytest.mark.parametrize(
    ("error", "code", "said"),
    [
        ("the model is overloaded", "server_error", "the model is overloaded"),
        ({"code": 429, "message": "slow down"}, "rate_limit_exceeded", "slow down"),
        ({"status": "RESOURCE_EXHAUSTED", "message": "quota"}, "rate_limit_exceeded", "quota"),
        ({"code": 500, "message": "ab " * 300}, "server_error", ("ab " * 200)[:599] + "…"),
    ],
    ids=["text", "429", "exhausted", "long"],
)
def test_an_error_inside_the_stream_is_said_with_a_code_a_client_acts_on(
    gateway: InProcess, google: FakeGoogle, error: object, code: str, said: str
) -> None:
    body = event("Hel") + b"data: " + json.dumps({"error": error}).encode() + b"\n\n"
    events = streamed(gateway, google, lambda call: (200, SSE, body))
    assert failure(events) == (code, f"Vertex AI stopped the answer: {said}")


def test_a_failed_stream_still_counts_the_tokens_vertex_reported(
    gateway: InProcess, google: FakeGoogle
) -> None:
    usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    counted = b"data: " + json.dumps({"choices": [], "usage": usage}).encode() + b"\n\n"
    events = streamed(gateway, google, lambda call: (200, SSE, event("Hel") + counted))
    assert failure(events)[0] == "server_error"
    failed = events[-1].response
    assert (failed.status, failed.usage.input_tokens, failed.usage.output_tokens) == (
        "failed",
        3,
        2,
    )


def test_a_last_event_without_its_blank_line_is_named_by_its_number_too(
    gateway: InProcess, google: FakeGoogle
) -> None:
    body = event("Hel") + b"data: [1, 2]"
    events = streamed(gateway, google, lambda call: (200, SSE, body))
    assert failure(events)[1] == "Vertex AI sent an event that is not an object (event 2)"


def test_a_stream_cut_by_the_network_says_why(gateway: InProcess, google: FakeGoogle) -> None:
    events = streamed(gateway, google, google.cut_stream())
    message = failure(events)[1]
    assert message.startswith("Vertex AI stream broke off after 1 chunk: ")
    why = message.removeprefix("Vertex AI stream broke off after 1 chunk: ")
    assert why not in ("", "None", "it ended without finishing")
    assert f"an answer from Vertex AI broke off: {why}" in gateway.said


def test_an_answer_shaped_oddly_names_what_went_wrong_reading_it(
    gateway: InProcess, google: FakeGoogle
) -> None:
    odd = {"choices": [{"index": 0, "delta": ["not", "an", "object"]}]}
    body = b"data: " + json.dumps(odd).encode() + b"\n\ndata: [DONE]\n\n"
    events = streamed(gateway, google, lambda call: (200, SSE, body))
    message = failure(events)[1]
    assert message.startswith("Vertex AI sent an answer the gateway cannot read (")
    assert message.removesuffix(")").rsplit("(", 1)[1] in ("AttributeError", "TypeError")
