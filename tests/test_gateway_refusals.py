"""The gateway's own refusals, whole, as a client reads them: OpenAI's error format, the
status, the code a program matches on, and a message that says what to do, cut short
where it quotes the request."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import closed_port
from tests.fake_google import FakeGoogle
from tests.gateways import CHAT, MODEL, InProcess, in_process, raw

CHAT_BODY = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()


@pytest.fixture
def gateway(google: FakeGoogle, service_account: Path) -> Iterator[InProcess]:
    with in_process(google, *MODEL) as running:
        yield running


def error(kind: str, code: str, message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def refused(
    gateway: InProcess, method: str, path: str, body: bytes = b"", **headers: str
) -> tuple[int, dict[str, str], dict[str, Any]]:
    status, answered, data = raw(
        gateway, method, path, body, headers or {"authorization": f"Bearer {gateway.key}"}
    )
    assert answered["content-type"] == "application/json"
    return status, answered, json.loads(data)


def test_a_request_without_the_key_is_told_where_the_key_is(gateway: InProcess) -> None:
    status, _, body = refused(gateway, "POST", "/v1/chat/completions", CHAT_BODY, accept="*/*")
    assert (status, body) == (
        401,
        error(
            "invalid_request_error",
            "invalid_api_key",
            "missing or wrong API key: use the OPENAI_API_KEY the gateway printed when it "
            "started (as 'Authorization: Bearer KEY' or an 'api-key' header)",
        ),
    )


def test_a_path_outside_v1_is_named_cut_at_100_characters(gateway: InProcess) -> None:
    path = "/v2/" + "a" * 200
    status, _, body = refused(gateway, "GET", path)
    assert (status, body) == (
        404,
        error(
            "invalid_request_error",
            "not_found",
            f"the gateway serves /v1/... only, not {path[:100]}",
        ),
    )


def test_the_bare_v1_path_is_not_found(gateway: InProcess) -> None:
    status, _, body = refused(gateway, "POST", "/v1/", CHAT_BODY)
    assert (status, body["error"]["code"]) == (404, "not_found")
    assert body["error"]["message"] == "the gateway serves /v1/... only, not /v1/"


def test_a_model_the_gateway_does_not_list_is_named_cut_at_100_characters(
    gateway: InProcess,
) -> None:
    name = "m" * 150
    status, _, body = refused(gateway, "GET", f"/v1/models/{name}")
    assert (status, body) == (
        404,
        error(
            "invalid_request_error",
            "model_not_found",
            f"the gateway lists no model {name[:100]} (GET /v1/models lists what it serves; "
            "a request naming another model still goes to Vertex AI as it is)",
        ),
    )


def test_a_climbing_path_is_refused_with_its_reason(gateway: InProcess) -> None:
    status, _, body = refused(gateway, "POST", "/v1/a/%2e%2e/b", CHAT_BODY)
    assert (status, body) == (
        400,
        error(
            "invalid_request_error",
            "invalid_path",
            "the path holds '.' or '..' segments or encoded slashes",
        ),
    )


def test_a_whole_url_in_the_request_line_is_refused_as_no_proxy(gateway: InProcess) -> None:
    connection = http.client.HTTPConnection(urlsplit(gateway.base_url).netloc, timeout=30)
    connection.request(
        "GET",
        "http://example.com/v1/chat/completions",
        headers={"authorization": f"Bearer {gateway.key}"},
    )
    reply = connection.getresponse()
    body = json.loads(reply.read())
    connection.close()
    assert (reply.status, body) == (
        400,
        error(
            "invalid_request_error",
            "invalid_path",
            "send the path only (/v1/...), not a whole URL: this is no proxy",
        ),
    )


def test_a_method_the_api_does_not_use_is_named(gateway: InProcess) -> None:
    method = "PROPFIND"  # aiohttp's parser refuses a method it does not know (400)
    status, headers, body = refused(gateway, method, "/v1/chat/completions", CHAT_BODY)
    assert (status, body) == (
        405,
        error(
            "invalid_request_error",
            "method_not_allowed",
            "the OpenAI API has no PROPFIND requests: DELETE, GET, POST only",
        ),
    )
    assert headers["allow"] == "DELETE, GET, POST"


def test_a_body_over_the_limit_is_told_how_to_send_large_files(gateway: InProcess) -> None:
    connection = http.client.HTTPConnection(urlsplit(gateway.base_url).netloc, timeout=30)
    connection.putrequest("POST", "/v1/chat/completions")
    connection.putheader("Authorization", f"Bearer {gateway.key}")
    connection.putheader("Content-Length", str((100 << 20) + 1))
    connection.endheaders()
    reply = connection.getresponse()
    body = json.loads(reply.read())
    connection.close()
    assert (reply.status, body) == (
        413,
        error(
            "invalid_request_error",
            "request_too_large",
            "the body is over 100 MiB, the most Google takes in a request (send large files "
            "by Cloud Storage URI)",
        ),
    )


def test_vertex_out_of_reach_is_a_502_that_says_so(
    google: FakeGoogle, service_account: Path
) -> None:
    port = closed_port()
    with in_process(google, *MODEL, api_endpoint=f"http://127.0.0.1:{port}") as gateway:
        status, _, body = refused(gateway, "POST", "/v1/chat/completions", CHAT_BODY)
    assert status == 502
    assert body["error"]["type"] == "api_error"
    assert body["error"]["code"] == "upstream_unreachable"
    assert body["error"]["message"].startswith("could not reach Vertex AI: ")
    assert body["error"]["message"] == (
        f"could not reach Vertex AI: cannot connect to 127.0.0.1:{port}: Connection refused"
    )


def test_vertex_too_slow_is_a_504_that_names_the_wait(
    google: FakeGoogle, service_account: Path
) -> None:
    google.fail_next(CHAT, google.hang())
    with in_process(google, *MODEL, read_timeout=0.5) as gateway:
        status, _, body = refused(gateway, "POST", "/v1/chat/completions", CHAT_BODY)
    assert (status, body) == (
        504,
        error("api_error", "upstream_timeout", "Vertex AI did not answer within 0.5s"),
    )


def test_a_small_answer_that_breaks_off_is_a_502_that_says_why(
    gateway: InProcess, google: FakeGoogle
) -> None:
    cut = {"content-length": "100", "connection": "close"}
    google.fail_next(CHAT, lambda call: (200, cut, b'{"partial": '))
    status, _, body = refused(gateway, "POST", "/v1/chat/completions", CHAT_BODY)
    assert (status, body["error"]["code"]) == (502, "upstream_unreachable")
    why = body["error"]["message"].removeprefix("could not reach Vertex AI: ")
    assert "Not enough data" in why
    assert f"an answer from Vertex AI broke off: {why}" in gateway.said
