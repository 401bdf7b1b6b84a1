"""The chat streams the gateway reads to translate (Responses API): how each one ends, is
cut, stalls or carries an error, what the client is told, and Vertex's errors in OpenAI's
format when no stream came."""

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


# --- Vertex's errors, when no stream came -------------------------------------------------


def error_of(gateway: InProcess, google: FakeGoogle, fault: Fault) -> tuple[int, Any, Any]:
    google.fail_next(CHAT, fault)
    status, headers, body = raw(gateway, "POST", "/v1/responses", json.dumps(ASK).encode())
    return status, headers, json.loads(body)["error"]


def test_a_429_without_words_says_rate_limited_and_keeps_retry_after(
    gateway: InProcess, google: FakeGoogle
) -> None:
    reply = (429, {"content-type": "application/json", "retry-after": "7"}, b"{}")
    status, headers, error = error_of(gateway, google, lambda call: reply)
    assert (status, headers["retry-after"]) == (429, "7")
    assert (error["code"], error["message"]) == (
        "rate_limit_exceeded",
        "Vertex AI is rate-limiting these requests",
    )


def test_a_5xx_without_words_names_only_its_status(gateway: InProcess, google: FakeGoogle) -> None:
    reply = (500, {"content-type": "application/json"}, b'{"error": {"code": 500}}')
    status, _, error = error_of(gateway, google, lambda call: reply)
    assert (status, error["code"], error["message"]) == (
        502,
        "upstream_error",
        "Vertex AI answered 500",
    )


def test_a_404_points_at_the_model_parameter(gateway: InProcess, google: FakeGoogle) -> None:
    reply = (404, {"content-type": "application/json"}, b'{"error": {"message": "no such"}}')
    status, _, error = error_of(gateway, google, lambda call: reply)
    assert (status, error["code"], error["param"], error["message"]) == (
        404,
        "model_not_found",
        "model",
        "no such",
    )


def test_vertexs_words_are_cut_at_1000_characters(gateway: InProcess, google: FakeGoogle) -> None:
    words = json.dumps({"error": {"code": 400, "message": "ab " * 500}}).encode()
    status, _, error = error_of(
        gateway, google, lambda call: (400, {"content-type": "application/json"}, words)
    )
    assert (status, error["message"]) == (400, ("ab " * 500)[:999] + "…")


def test_a_whole_answer_that_is_not_json_is_a_502(gateway: InProcess, google: FakeGoogle) -> None:
    reply = (200, {"content-type": "application/json"}, b"<html>")
    status, _, error = error_of(gateway, google, lambda call: reply)
    assert (status, error["code"], error["message"]) == (
        502,
        "upstream_error",
        "Vertex AI sent no JSON",
    )


def test_a_whole_answer_that_breaks_off_is_a_502_that_says_why(
    gateway: InProcess, google: FakeGoogle
) -> None:
    cut = {"content-type": "application/json", "content-length": "100", "connection": "close"}
    status, _, error = error_of(gateway, google, lambda call: (200, cut, b'{"choices": '))
    assert (status, error["code"]) == (502, "upstream_unreachable")
    why = error["message"].removeprefix("could not reach Vertex AI: ")
    assert "Not enough data" in why
    assert f"an answer from Vertex AI broke off: {why}" in gateway.said


def test_a_4xx_without_words_is_told_with_the_gateways_diagnosis(
    gateway: InProcess, google: FakeGoogle
) -> None:
    reply = (400, {"content-type": "application/json"}, b"{}")
    status, _, error = error_of(gateway, google, lambda call: reply)
    assert (status, error["code"]) == (400, "invalid_request")
    assert error["message"] != "Vertex AI answered 400"
    assert error["message"] in " ".join(gateway.said), error["message"]


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


def test_a_translated_request_that_vertex_cannot_find_is_explained_by_its_model(
    gateway: InProcess, google: FakeGoogle
) -> None:
    missing = {"error": {"code": 404, "message": "Publisher Model was not found."}}
    google.fail_next(CHAT, lambda call: (404, {"content-type": "application/json"},
                                         json.dumps(missing).encode()))  # fmt: skip
    body = json.dumps({"model": "gemini-9", "input": "hi"}).encode()
    assert raw(gateway, "POST", "/v1/responses", body)[0] == 404
    (explained,) = [line for line in gateway.said if "not served" in line]
    assert "gemini-9" in explained.split(" is not served")[0]


def test_a_whole_answer_shaped_oddly_is_a_502_that_says_so(
    gateway: InProcess, google: FakeGoogle
) -> None:
    odd = {"choices": [{"index": 0, "message": ["not", "an", "object"]}]}
    reply = (200, {"content-type": "application/json"}, json.dumps(odd).encode())
    status, _, error = error_of(gateway, google, lambda call: reply)
    assert (status, error["code"]) == (502, "upstream_error")
    assert error["message"].startswith("Vertex AI sent an answer the gateway cannot read (")
