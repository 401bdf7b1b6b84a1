"""The gateway's behaviour, with the real OpenAI SDK as its client and the fake as Vertex AI.

The gateway runs in this process (tests/gateways.py); `test_serve_cli.py` runs the command.
"""

from __future__ import annotations

import gzip
import http.client
import itertools
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai
import pytest
from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam

from tests.conftest import closed_port, exported, invoke
from tests.fake_google import Call, FakeGoogle, Reply, json_reply, status_reply, vertex_error
from tests.gateways import CHAT, MODEL, PLACE, ROOT, InProcess, in_process, raw
from vertex_openai_env.gateway import relay

HI: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
INVALID_GRANT = status_reply(400, b'{"error": "invalid_grant"}', "application/json")


@pytest.fixture
def gateway(google: FakeGoogle, service_account: Path) -> Iterator[InProcess]:
    with in_process(google, *MODEL) as running:
        yield running


# --- forwarding ---------------------------------------------------------------------------


def test_a_chat_reaches_vertex_with_a_google_token_not_the_local_key(
    gateway: InProcess, google: FakeGoogle
) -> None:
    reply = gateway.client().chat.completions.create(
        model=gateway.variables["OPENAI_MODEL"],
        messages=HI,
        extra_headers={"x-trace": "abc", "x-goog-user-project": "client-choice"},
    )
    assert (
        reply.choices[0].message.content
        == "Hello from google/gemini-2.5-flash in my-proj/us-central1"
    )
    (chat,) = google.chats
    assert chat.path == CHAT
    assert google.valid(chat.bearer)
    assert gateway.key not in json.dumps(chat.headers)
    assert chat.headers["x-trace"] == "abc"
    assert chat.json() == {"model": "google/gemini-2.5-flash", "messages": HI}
    assert "x-goog-user-project" not in chat.headers  # these credentials have no quota project


def test_the_quota_project_goes_along_when_there_is_one(
    google: FakeGoogle, service_account: Path
) -> None:
    with in_process(google, *MODEL, "--quota-project", "billing-proj") as gateway:
        gateway.client().chat.completions.create(
            model="m", messages=HI, extra_headers={"x-goog-user-project": "client-choice"}
        )
    (chat,) = google.chats
    assert chat.headers["x-goog-user-project"] == "billing-proj"


def test_hop_by_hop_headers_and_the_clients_own_credentials_stay_behind(
    gateway: InProcess, google: FakeGoogle
) -> None:
    body = json.dumps({"model": "m", "messages": HI}).encode()
    headers = {
        "authorization": f"Bearer {gateway.key}",
        "connection": "keep-alive, x-private",
        "x-private": "1",
        "api-key": gateway.key,
        "content-type": "application/json",
    }
    status, _, _ = raw(gateway, "POST", "/v1/chat/completions", body, headers)
    assert status == 200
    (chat,) = google.chats
    assert "x-private" not in chat.headers
    assert "api-key" not in chat.headers
    assert google.valid(chat.bearer)


def test_any_path_and_query_go_on_and_the_answer_comes_back_unchanged(
    gateway: InProcess, google: FakeGoogle
) -> None:
    status, headers, body = raw(gateway, "POST", "/v1/moderations?alt=json&x=%2F", b"{}")
    assert status == 404  # the fake has no such route: its own answer comes back
    assert json.loads(body) == {
        "error": {"code": 404, "message": f"no route {ROOT}/openapi/moderations"}
    }
    assert headers["content-type"] == "application/json"
    (call,) = [call for call in google.calls if call.path.endswith("/moderations")]
    assert call.query == {"alt": ["json"], "x": ["/"]}


def test_streamed_chunks_arrive_as_vertex_sends_them(
    gateway: InProcess, google: FakeGoogle
) -> None:
    google.stream_gap = 0.15
    started = time.monotonic()
    stream = gateway.client().chat.completions.create(model="m", messages=HI, stream=True)
    arrivals = []
    text = ""
    for chunk in stream:
        assert isinstance(chunk, ChatCompletionChunk)
        arrivals.append(time.monotonic() - started)
        text += chunk.choices[0].delta.content or ""
    assert text == "Hello from m in my-proj/us-central1"
    assert len(arrivals) == google.stream_chunks
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert min(gaps) > 0.1, f"chunks came bunched together: {arrivals}"


def test_embeddings(gateway: InProcess, google: FakeGoogle) -> None:
    reply = gateway.client().embeddings.create(model="text-embedding-005", input=["a b", "hello"])
    assert [item.embedding for item in reply.data] == [[3.0, 0.5, -1.0], [5.0, 0.5, -1.0]]
    assert google.calls[-1].path == f"{ROOT}/openapi/embeddings"


def test_models_are_listed_by_the_gateway_itself(gateway: InProcess, google: FakeGoogle) -> None:
    client = gateway.client()
    assert [model.id for model in client.models.list()] == ["gemini-2.5-flash"]
    assert client.models.retrieve("gemini-2.5-flash").owned_by == "google"
    assert client.models.retrieve("google/gemini-2.5-flash").id == "gemini-2.5-flash"
    assert google.count(CHAT) == 0
    assert not [call for call in google.calls if "/models" in call.path]


def test_an_endpoint_is_listed_as_its_id(google: FakeGoogle, service_account: Path) -> None:
    with in_process(google, "--endpoint", "1234567890") as gateway:
        assert [model.id for model in gateway.client().models.list()] == ["1234567890"]
        assert "OPENAI_MODEL" not in gateway.variables
        gateway.client().chat.completions.create(model="any", messages=HI)
    assert google.chats[0].path == f"{ROOT}/1234567890/chat/completions"


# --- the local key ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": "Bearer sk-voe-wrong"},
        {"authorization": "Bearer"},
        {"api-key": "sk-voe-wrong"},
        {"authorization": "KEY"},  # the key without `Bearer`
        {"authorization": "Bearer KEYx"},
        {"api-key": "Bearer KEY"},
    ],
)
def test_a_request_without_the_key_is_refused_before_vertex(
    headers: dict[str, str], gateway: InProcess, google: FakeGoogle
) -> None:
    before = len(google.calls)
    headers = {name: value.replace("KEY", gateway.key) for name, value in headers.items()}
    for method, path in (("POST", "/v1/chat/completions"), ("GET", "/v1/models"), ("GET", "/x")):
        status, _, body = raw(gateway, method, path, b"{}", headers)
        assert status == 401
        assert json.loads(body)["error"]["code"] == "invalid_api_key"
        assert gateway.key not in body.decode()
    assert len(google.calls) == before


def test_the_sdk_with_a_wrong_key_gets_an_authentication_error(gateway: InProcess) -> None:
    client = openai.OpenAI(api_key="sk-wrong", base_url=gateway.base_url, max_retries=0)
    with pytest.raises(openai.AuthenticationError, match="missing or wrong API key"):
        client.chat.completions.create(model="m", messages=HI)


def test_the_key_may_come_as_an_api_key_header(gateway: InProcess, google: FakeGoogle) -> None:
    status, _, _ = raw(gateway, "GET", "/v1/models", headers={"api-key": gateway.key})
    assert status == 200


@pytest.mark.parametrize(
    "path", ["/v1/../v1beta1/projects", "/v1/%2e%2E/x", "/v1/a%2Fb", "/v1/./x"]
)
def test_a_path_that_climbs_out_of_the_base_url_is_refused(
    path: str, gateway: InProcess, google: FakeGoogle
) -> None:
    before = len(google.calls)
    status, _, body = raw(gateway, "GET", path)
    assert status == 400
    assert json.loads(body)["error"]["code"] == "invalid_path"
    assert len(google.calls) == before


def test_a_path_outside_v1_is_not_found(gateway: InProcess) -> None:
    status, _, body = raw(gateway, "GET", "/health")
    assert status == 404
    assert json.loads(body)["error"]["type"] == "invalid_request_error"


# --- tokens -------------------------------------------------------------------------------


def test_a_401_from_vertex_is_answered_by_a_new_token_and_one_retry(
    gateway: InProcess, google: FakeGoogle
) -> None:
    google.fail_next(CHAT, vertex_error("unauthenticated"))
    tokens_before = google.count("/token")
    reply = gateway.client(max_retries=0).chat.completions.create(model="m", messages=HI)
    assert (reply.choices[0].message.content or "").startswith("Hello")
    refused, retried = [call for call in google.calls if call.path == CHAT]
    assert refused.bearer != retried.bearer
    assert google.valid(retried.bearer)
    assert refused.body == retried.body
    assert google.count("/token") == tokens_before + 1
    again = invoke(*PLACE, "--api-endpoint", google.url, *MODEL, "--format", "sh")
    assert exported(again.stdout)["OPENAI_API_KEY"] == retried.bearer  # the cache's, replaced


def test_a_second_401_goes_back_to_the_client_and_is_explained(
    gateway: InProcess, google: FakeGoogle
) -> None:
    google.fail_next(CHAT, vertex_error("unauthenticated"), vertex_error("unauthenticated"))
    with pytest.raises(openai.AuthenticationError):
        gateway.client(max_retries=0).chat.completions.create(model="m", messages=HI)
    assert google.count(CHAT) == 2
    assert any("Vertex AI refused the token" in line for line in gateway.said)


def test_a_401_with_no_new_token_to_be_had_is_a_503_with_the_reason(
    gateway: InProcess, google: FakeGoogle
) -> None:
    google.fail_next(CHAT, vertex_error("unauthenticated"))
    google.fail_next("/token", INVALID_GRANT)
    with pytest.raises(openai.InternalServerError) as caught:
        gateway.client(max_retries=0).chat.completions.create(model="m", messages=HI)
    assert caught.value.status_code == 503
    assert "getting a new one failed" in str(caught.value)


def test_a_body_too_big_to_replay_streams_on_and_a_401_comes_back(
    gateway: InProcess, google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(relay, "REPLAY_LIMIT", 1000)
    google.fail_next(CHAT, vertex_error("unauthenticated"))
    text = "x" * 5000
    with pytest.raises(openai.AuthenticationError):
        gateway.client(max_retries=0).chat.completions.create(
            model="m", messages=[{"role": "user", "content": text}]
        )
    (call,) = [call for call in google.calls if call.path == CHAT]
    assert call.json()["messages"][0]["content"] == text
    assert call.headers.get("transfer-encoding") == "chunked"


def test_a_body_as_long_as_the_replay_limit_is_sent_again_after_a_401(
    gateway: InProcess, google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "x" * 5000}]})
    monkeypatch.setattr(relay, "REPLAY_LIMIT", len(body))
    google.fail_next(CHAT, vertex_error("unauthenticated"))
    headers = {"authorization": f"Bearer {gateway.key}", "content-type": "application/json"}
    status, _, _ = raw(gateway, "POST", "/v1/chat/completions", body.encode(), headers)
    assert status == 200
    refused, retried = [call for call in google.calls if call.path == CHAT]
    assert refused.body == retried.body == body.encode()


def test_tokens_that_expire_every_few_seconds_are_renewed_ahead_of_requests(
    google: FakeGoogle, service_account: Path
) -> None:
    google.token_lifetime = 3
    with in_process(google, *MODEL) as gateway:
        client = gateway.client(max_retries=0)
        slowest = 0.0
        until = time.monotonic() + 7  # more than two lifetimes
        while time.monotonic() < until:
            started = time.monotonic()
            client.chat.completions.create(model="m", messages=HI)
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.05)
    assert len({chat.bearer for chat in google.chats}) >= 4
    # Renewed in the background with a third of its life left, not when a request needs it.
    left = [
        (google.issued[str(chat.bearer)] - chat.received).total_seconds() for chat in google.chats
    ]
    assert min(left) > 1.0
    assert slowest < 0.5


def test_concurrent_401s_share_one_refresh(gateway: InProcess, google: FakeGoogle) -> None:
    refuse = vertex_error("unauthenticated")

    def slowly(call: Call) -> Reply:
        time.sleep(0.2)  # all six are refused together, before any retry arrives
        return refuse(call)

    google.fail_next(CHAT, *[slowly] * 6)
    tokens_before = google.count("/token")
    client = gateway.client(max_retries=0)
    with ThreadPoolExecutor(6) as pool:
        replies = list(
            pool.map(lambda _: client.chat.completions.create(model="m", messages=HI), range(6))
        )
    assert len(replies) == 6
    assert google.count(CHAT) == 12
    assert google.count("/token") == tokens_before + 1


def test_a_failing_refresh_keeps_the_old_token_while_it_lasts_then_503(
    google: FakeGoogle, service_account: Path
) -> None:
    google.token_lifetime = 3
    with in_process(google, *MODEL) as gateway:
        google.fail_next("/token", *[INVALID_GRANT] * 20)
        client = gateway.client(max_retries=0)
        time.sleep(1.3)  # the first refresh has failed
        assert client.chat.completions.create(model="m", messages=HI).choices
        time.sleep(1.2)  # less than a second left: too little to send it on
        with pytest.raises(openai.InternalServerError) as caught:
            client.chat.completions.create(model="m", messages=HI)
    assert caught.value.status_code == 503
    assert "the Google token has expired and refreshing it failed" in str(caught.value)
    assert any(line.startswith("token refresh failed:") for line in gateway.said)
    assert len(google.chats) == 1


# --- faults -------------------------------------------------------------------------------


def test_vertex_errors_pass_through_and_are_explained_once(
    gateway: InProcess, google: FakeGoogle
) -> None:
    google.fail_next(CHAT, vertex_error("permission"), vertex_error("permission"))
    client = gateway.client(max_retries=0)
    for _ in range(2):
        with pytest.raises(openai.PermissionDeniedError, match=r"aiplatform\.endpoints\.predict"):
            client.chat.completions.create(model="m", messages=HI)
    explained = [line for line in gateway.said if "lacks aiplatform.endpoints.predict" in line]
    assert len(explained) == 1
    assert "fix: gcloud projects add-iam-policy-binding my-proj" in explained[0]


def test_vertex_out_of_reach_is_a_502_explained(google: FakeGoogle, service_account: Path) -> None:
    port = closed_port()
    unreachable = f"http://127.0.0.1:{port}"
    with (
        in_process(google, *MODEL, api_endpoint=unreachable) as gateway,
        pytest.raises(openai.InternalServerError) as caught,
    ):
        gateway.client(max_retries=0).chat.completions.create(model="m", messages=HI)
    assert caught.value.status_code == 502
    assert any(f"no answer from 127.0.0.1:{port}" in line for line in gateway.said)


def test_vertex_too_slow_is_a_504(google: FakeGoogle, service_account: Path) -> None:
    google.fail_next(CHAT, google.hang())
    with in_process(google, *MODEL, read_timeout=0.5) as gateway:
        started = time.monotonic()
        with pytest.raises(openai.InternalServerError) as caught:
            gateway.client(max_retries=0).chat.completions.create(model="m", messages=HI)
    assert caught.value.status_code == 504
    assert time.monotonic() - started < 5
    assert any("timed out" in line for line in gateway.said)


def test_redirects_are_not_followed(gateway: InProcess, google: FakeGoogle) -> None:
    elsewhere = {"location": "http://127.0.0.1:9/steal"}
    google.fail_next(CHAT, lambda call: (307, elsewhere, b""))
    status, headers, _ = raw(gateway, "POST", "/v1/chat/completions", b"{}")
    assert status == 307
    assert headers["location"] == elsewhere["location"]
    assert google.count(CHAT) == 1


def test_the_answers_hop_by_hop_headers_stay_behind(gateway: InProcess, google: FakeGoogle) -> None:
    hop = {"content-type": "application/json", "connection": "close", "keep-alive": "timeout=1"}
    google.fail_next(CHAT, lambda call: (200, hop, b"{}"))
    status, headers, body = raw(gateway, "POST", "/v1/chat/completions", b"{}")
    assert (status, body) == (200, b"{}")
    assert "keep-alive" not in headers
    assert headers.get("connection") != "close"


def test_a_large_answer_comes_back_whole(gateway: InProcess, google: FakeGoogle) -> None:
    big = {"data": "y" * 3_000_000}
    google.fail_next(CHAT, lambda call: json_reply(200, big))
    status, _, body = raw(gateway, "POST", "/v1/chat/completions", b"{}")
    assert status == 200
    assert json.loads(body) == big


def test_an_error_sent_in_chunks_comes_back_whole_and_is_explained(
    gateway: InProcess, google: FakeGoogle
) -> None:
    parts = [b'{"error": {"code": 503, ', b'"message": "busy", "status": "UNAVAILABLE"}}']
    google.fail_next(CHAT, lambda call: (503, {"content-type": "application/json"}, iter(parts)))
    status, headers, body = raw(gateway, "POST", "/v1/chat/completions", b"{}")
    assert status == 503
    assert body == b"".join(parts)
    assert headers["transfer-encoding"] == "chunked"
    assert any("Vertex AI failed with HTTP 503" in line for line in gateway.said)


def test_a_small_answer_that_breaks_off_is_a_502(gateway: InProcess, google: FakeGoogle) -> None:
    cut = {"content-length": "100", "connection": "close"}
    google.fail_next(CHAT, lambda call: (200, cut, b'{"partial": '))
    status, _, body = raw(gateway, "POST", "/v1/chat/completions", b"{}")
    assert status == 502
    assert json.loads(body)["error"]["code"] == "upstream_unreachable"
    assert any("broke off" in line for line in gateway.said)


def test_a_large_answer_that_breaks_off_is_not_passed_as_whole(
    gateway: InProcess, google: FakeGoogle
) -> None:
    cut = {"content-length": str(relay.WHOLE_LIMIT * 4), "connection": "close"}
    google.fail_next(CHAT, lambda call: (200, cut, b"x" * relay.WHOLE_LIMIT * 2))
    with pytest.raises(http.client.IncompleteRead):
        raw(gateway, "POST", "/v1/chat/completions", b"{}")
    assert gateway.said_soon("POST /v1/chat/completions 200 broke off")


def test_a_compressed_body_goes_on_as_it_came_with_its_encoding(
    gateway: InProcess, google: FakeGoogle
) -> None:
    body = gzip.compress(json.dumps({"model": "m", "messages": HI}).encode())
    headers = {
        "authorization": f"Bearer {gateway.key}",
        "content-encoding": "gzip",
        "content-type": "application/json",
    }
    raw(gateway, "POST", "/v1/chat/completions", body, headers)
    (call,) = [call for call in google.calls if call.path == CHAT]
    assert call.headers["content-encoding"] == "gzip"
    assert call.body == body


@pytest.mark.parametrize(
    ("path", "fault"),
    [
        ("/v1/moderations", None),  # the stand-in's JSON 404
        ("/v1/audio/speech", status_reply(404, b"<!DOCTYPE html><title>Error 404</title>")),
        ("/v1/chat//completions", None),  # a typo, not a wrong model
    ],
)
def test_a_path_vertex_does_not_serve_is_explained_as_such(
    path: str, fault: object, gateway: InProcess, google: FakeGoogle
) -> None:
    if fault is not None:
        google.fail_next(f"{ROOT}/openapi{path[3:]}", fault)  # type: ignore[arg-type]
    body = json.dumps({"model": "gemini-2.5-flash", "input": "hi"}).encode()
    assert raw(gateway, "POST", path, body)[0] == 404
    (said,) = [line for line in gateway.said if "404" not in line]
    assert said.startswith(f"Vertex AI's OpenAI-compatible endpoint does not serve {path}:")


def test_a_wrong_model_is_explained_by_the_model_the_request_named(
    gateway: InProcess, google: FakeGoogle
) -> None:
    google.fail_next(CHAT, vertex_error("not_found"))
    with pytest.raises(openai.NotFoundError):
        gateway.client(max_retries=0).chat.completions.create(model="gemini-9-ultra", messages=HI)
    assert any(
        line.startswith("model google/gemini-9-ultra is not served") for line in gateway.said
    )
