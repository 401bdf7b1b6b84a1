"""Vertex's errors on a translated request (Responses API) when no stream came, in
OpenAI's format with the status a client acts on rightly; and whole answers that are cut,
not JSON, or shaped oddly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fake_google import FakeGoogle, Fault
from tests.gateways import CHAT, MODEL, InProcess, in_process, raw

ASK = {"model": "gemini-2.5-flash", "input": "hi"}


@pytest.fixture
def gateway(google: FakeGoogle, service_account: Path) -> Iterator[InProcess]:
    with in_process(google, *MODEL, read_timeout=0.5) as running:
        yield running


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
