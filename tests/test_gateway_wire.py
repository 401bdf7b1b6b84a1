"""What Vertex AI receives through the gateway, byte for byte, and what the gateway says of
it: the exact header set, the routes it keeps to itself, and the 4xx answers it explains."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_google import FakeGoogle, json_reply
from tests.gateways import CHAT, MODEL, InProcess, in_process, raw

CHAT_BODY = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()


@pytest.fixture
def gateway(google: FakeGoogle, service_account: Path) -> Iterator[InProcess]:
    with in_process(google, *MODEL, "--quota-project", "billing-proj") as running:
        yield running


def test_vertex_receives_exactly_the_end_to_end_headers_and_its_own_credentials(
    gateway: InProcess, google: FakeGoogle
) -> None:
    every_kind = {
        # the client's credentials for the gateway, in both places clients put them
        "Authorization": f"Bearer {gateway.key}",
        "Api-Key": gateway.key,
        "X-Goog-User-Project": "client-choice",
        # hop-by-hop (RFC 9110 7.6.1), and a name the Connection header lists, in other case
        "Connection": "keep-alive, X-Private",
        "x-PRIVATE": "1",
        "Keep-Alive": "timeout=5",
        "Proxy-Connection": "keep-alive",
        "Proxy-Authorization": "Basic dXNlcjpwYXNz",
        "TE": "trailers",
        "Trailer": "x-checksum",
        "Upgrade": "h2c",
        "Expect": "100-continue",
        # end to end: these go on as the client sent them
        "Content-Type": "application/json",
        "User-Agent": "client/1.0",
        "Accept": "application/json",
        "Accept-Encoding": "gzip",
        "X-Trace": "abc",
    }
    status, _, _ = raw(gateway, "POST", "/v1/chat/completions", CHAT_BODY, every_kind)
    assert status == 200
    (chat,) = google.chats
    received = dict(chat.raw_headers)
    assert set(received) == {
        "Host",
        "Content-Type",
        "User-Agent",
        "Accept",
        "Accept-Encoding",
        "X-Trace",
        "Authorization",
        "x-goog-user-project",
        "Content-Length",
    }, "names are matched case-insensitively: only end-to-end headers may go on"
    assert received["Host"] == google.url.split("//")[1]
    assert google.valid(chat.bearer)
    assert received["x-goog-user-project"] == "billing-proj"
    assert (received["User-Agent"], received["X-Trace"]) == ("client/1.0", "abc")
    assert received["Content-Length"] == str(len(CHAT_BODY))


def test_a_chunked_request_goes_on_with_its_length_not_its_transfer_encoding(
    gateway: InProcess, google: FakeGoogle
) -> None:
    halves = (CHAT_BODY[:20], CHAT_BODY[20:])
    # http.client sends an iterable body chunked, with its Transfer-Encoding header
    status, _, _ = raw(gateway, "POST", "/v1/chat/completions", iter(halves))  # type: ignore[arg-type]
    assert status == 200
    (chat,) = google.chats
    assert chat.body == CHAT_BODY
    assert "transfer-encoding" not in chat.headers
    assert chat.headers["content-length"] == str(len(CHAT_BODY))


def test_only_get_lists_the_models_a_post_is_not_answered_with_the_list(
    gateway: InProcess,
) -> None:
    status, _, body = raw(gateway, "POST", "/v1/models", b"{}")
    assert status != 200
    assert b'"object": "list"' not in body
    assert b"gemini" not in body


@pytest.mark.parametrize("path", ["/v1/a%5C..%5Cb", "/v1/chat%5Ccompletions", "/v1/a%2Fb"])
def test_an_encoded_backslash_or_slash_in_a_path_is_refused_before_vertex(
    gateway: InProcess, google: FakeGoogle, path: str
) -> None:
    status, _, body = raw(gateway, "POST", path, CHAT_BODY)
    assert status == 400
    assert json.loads(body)["error"]["code"] == "invalid_path"
    assert not google.chats
    assert not [call for call in google.calls if "/endpoints/" in call.path]


def test_the_query_string_goes_to_vertex_but_not_into_the_log(
    gateway: InProcess, google: FakeGoogle
) -> None:
    raw(gateway, "POST", "/v1/chat/completions?key=secret-in-query&alt=json", CHAT_BODY)
    (chat,) = google.chats
    assert chat.query == {"key": ["secret-in-query"], "alt": ["json"]}
    assert gateway.said == ["POST /v1/chat/completions 200 " + gateway.said[0].rsplit(" ", 1)[1]]
    assert not [line for line in gateway.said if "secret-in-query" in line or "?" in line]


@pytest.mark.parametrize("chunked", [False, True], ids=["whole", "chunked"])
@pytest.mark.parametrize("status", [400, 429])
def test_a_4xx_from_vertex_comes_back_unchanged_and_is_explained(
    gateway: InProcess, google: FakeGoogle, status: int, chunked: bool
) -> None:
    error = {"error": {"code": status, "message": "refused", "status": "INVALID_ARGUMENT"}}
    whole = json.dumps(error).encode()
    if chunked:
        parts = [whole[:10], whole[10:]]
        google.fail_next(
            CHAT, lambda call: (status, {"content-type": "application/json"}, iter(parts))
        )
    else:
        google.fail_next(CHAT, lambda call: json_reply(status, error))
    answered, _, body = raw(gateway, "POST", "/v1/chat/completions", CHAT_BODY)
    assert (answered, body) == (status, whole)
    explained = [line for line in gateway.said if f"HTTP {status}" in line]
    assert len(explained) == 1, gateway.said


@pytest.mark.parametrize("chunked", [False, True], ids=["whole", "chunked"])
def test_a_404_for_the_chat_path_is_explained_as_a_wrong_model(
    gateway: InProcess, google: FakeGoogle, chunked: bool
) -> None:
    whole = json.dumps({"error": {"code": 404, "message": "Publisher Model was not found."}})
    parts = [whole[:10].encode(), whole[10:].encode()]
    reply = iter(parts) if chunked else b"".join(parts)
    google.fail_next(CHAT, lambda call: (404, {"content-type": "application/json"}, reply))
    body = json.dumps({"model": "gemini-9", "messages": []}).encode()
    answered, _, _ = raw(gateway, "POST", "/v1/chat/completions", body)
    assert answered == 404
    (explained,) = [line for line in gateway.said if "not served" in line]
    assert "gemini-9" in explained.split(" is not served")[0]


@pytest.mark.parametrize("path", ["/v1/" + "a" * 100, "/v1/images/generations"])
def test_a_path_vertex_does_not_serve_is_named_without_its_query_cut_at_80_characters(
    gateway: InProcess, path: str
) -> None:
    assert raw(gateway, "POST", path + "?alt=json", CHAT_BODY)[0] == 404
    assert (
        f"Vertex AI's OpenAI-compatible endpoint does not serve {path[:84]}: it serves "
        "/v1/chat/completions and /v1/embeddings, and the gateway itself answers "
        "/v1/responses, /v1/completions and /v1/models"
    ) in gateway.said
