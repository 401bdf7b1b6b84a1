"""A translated request (Responses API) from the client's body to what Vertex AI receives:
the body's encodings, the refusals before Vertex sees anything, and the headers of the chat
request the gateway writes."""

from __future__ import annotations

import gzip
import http.client
import json
import zlib
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.fake_google import FakeGoogle
from tests.gateways import InProcess, raw
from vertex_openai_env.gateway.upstream import REPLAY_LIMIT

ASK = json.dumps({"model": "gemini-2.5-flash", "input": "hi"}).encode()


def post(gateway: InProcess, body: bytes, **headers: str) -> tuple[int, dict[str, Any]]:
    sent = {"authorization": f"Bearer {gateway.key}", **headers}
    status, _, answer = raw(gateway, "POST", "/v1/responses", body, sent)
    return status, json.loads(answer)


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), (" GZip ", gzip.compress)],
)
def test_a_compressed_body_is_read(
    gateway: InProcess, google: FakeGoogle, encoding: str, encode: Any
) -> None:
    status, response = post(gateway, encode(ASK), **{"Content-Encoding": encoding})
    assert (status, response["status"]) == (200, "completed")
    assert json.loads(google.chats[-1].body)["messages"][-1]["content"] == "hi"


def test_a_body_said_identity_is_read_as_it_is(gateway: InProcess) -> None:
    assert post(gateway, ASK, **{"Content-Encoding": "IDENTITY"})[0] == 200


def refusal(status: int, code: str, message: str, param: str | None = None) -> Any:
    kind = "invalid_request_error"
    return status, {"error": {"message": message, "type": kind, "param": param, "code": code}}


def test_an_unknown_encoding_is_refused_named_cut_at_20_characters(
    gateway: InProcess, google: FakeGoogle
) -> None:
    encoding = "br" + "x" * 30
    assert post(gateway, ASK, **{"Content-Encoding": encoding}) == refusal(
        415, "invalid_request", f"Content-Encoding {encoding[:20]} is not supported"
    )
    assert not google.chats


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_body_not_in_its_encoding_is_refused(
    gateway: InProcess, google: FakeGoogle, encoding: str
) -> None:
    assert post(gateway, ASK, **{"Content-Encoding": encoding}) == refusal(
        400, "invalid_request", f"the body is not valid {encoding}"
    )
    assert not google.chats


def test_a_body_that_is_not_json_is_refused(gateway: InProcess, google: FakeGoogle) -> None:
    assert post(gateway, b"{model: m}") == refusal(400, "invalid_json", "the body is not JSON")


@pytest.mark.parametrize("body", [{"input": "hi"}, {"model": "", "input": "hi"}, [1]])
def test_a_body_without_a_model_is_refused(gateway: InProcess, body: object) -> None:
    assert post(gateway, json.dumps(body).encode()) == refusal(
        400, "invalid_request", "model is missing", "model"
    )


@pytest.mark.parametrize("compressed", [False, True])
def test_a_body_over_vertexs_limit_is_refused_even_when_it_came_compressed(
    gateway: InProcess, google: FakeGoogle, compressed: bool
) -> None:
    over = json.dumps({"model": "m", "input": "x" * REPLAY_LIMIT}).encode()
    body, headers = (
        (gzip.compress(over), {"Content-Encoding": "gzip"}) if compressed else (over, {})
    )
    assert post(gateway, body, **headers) == refusal(
        413, "invalid_request", "the body is over 10 MiB, Vertex AI's limit"
    )
    assert not google.chats


@pytest.mark.parametrize("stream", [False, True])
def test_vertex_receives_json_asked_for_uncompressed_as_a_stream_or_not(
    gateway: InProcess, google: FakeGoogle, stream: bool
) -> None:
    body = json.dumps({"model": "gemini-2.5-flash", "input": "hi", "stream": stream}).encode()
    status, _, _ = raw(gateway, "POST", "/v1/responses", body)
    assert status == 200
    received = dict(google.chats[-1].raw_headers)
    assert received["Content-Type"] == "application/json"
    assert received["Accept"] == ("text/event-stream" if stream else "application/json")
    assert received["Accept-Encoding"] == "identity"


def test_a_body_declared_over_the_gateways_limit_is_refused_before_it_is_read(
    gateway: InProcess, google: FakeGoogle
) -> None:
    connection = http.client.HTTPConnection(urlsplit(gateway.base_url).netloc, timeout=30)
    connection.putrequest("POST", "/v1/responses")
    connection.putheader("Authorization", f"Bearer {gateway.key}")
    connection.putheader("Content-Length", str((100 << 20) + 1))
    connection.endheaders()
    reply = connection.getresponse()
    error = json.loads(reply.read())["error"]
    connection.close()
    assert (reply.status, error["code"]) == (413, "request_too_large")
    assert error["message"].startswith("the body is over 100 MiB")
    assert not google.chats


def test_a_compressed_body_of_exactly_vertexs_limit_goes_on(
    gateway: InProcess, google: FakeGoogle
) -> None:
    empty = json.dumps({"model": "gemini-2.5-flash", "input": ""})
    whole = empty.replace('""', '"' + "x" * (REPLAY_LIMIT - len(empty)) + '"').encode()
    assert len(whole) == REPLAY_LIMIT
    status, _ = post(gateway, gzip.compress(whole), **{"Content-Encoding": "gzip"})
    assert status == 200
