"""How the Responses API fails through the gateway: Vertex's errors in OpenAI's format with
a status clients act on rightly, and streams that break or stop short."""

from __future__ import annotations

import json

import openai
import pytest

from tests.fake.chat_errors import chat_error, quoting_error
from tests.fake_google import FakeGoogle, Fault, status_reply, vertex_error
from tests.gateways import CHAT, InProcess, raw

ASK = json.dumps({"model": "gemini-2.5-flash", "input": "hi"}).encode()


def answer_to(gateway: InProcess, body: bytes = ASK) -> tuple[int, dict[str, str], dict[str, str]]:
    """The status, headers and `error` object of a Responses request's answer."""
    status, headers, answer = raw(gateway, "POST", "/v1/responses", body)
    return status, headers, json.loads(answer)["error"]


@pytest.mark.parametrize(
    ("fault", "status", "code", "said"),
    [
        (vertex_error("permission"), 403, "vertex_permission_denied", "lacks aiplatform.endpoints"),
        (vertex_error("not_found"), 404, "model_not_found", "Publisher Model was not found."),
        (chat_error(400), 400, "invalid_request", "Request contains an invalid argument."),
        (chat_error(400, chunked=True), 400, "invalid_request", "an invalid argument"),
        (chat_error(429), 429, "rate_limit_exceeded", "Resource exhausted."),
        (chat_error(500), 502, "upstream_error", "Vertex AI answered 500: Internal error"),
        (chat_error(503), 502, "upstream_error", "Vertex AI answered 503: The service"),
        (status_reply(500, b"<html>oops</html>"), 502, "upstream_error", "Vertex AI answered 500"),
    ],
)  # fmt: skip
def test_vertex_errors_come_back_in_openais_format_with_vertexs_words(
    fault: Fault, status: int, code: str, said: str, gateway: InProcess, google: FakeGoogle
) -> None:
    google.fail_next(CHAT, fault)
    got, _, error = answer_to(gateway)
    assert (got, error["code"]) == (status, code)
    assert said in error["message"]
    assert error["type"] == ("api_error" if status >= 500 else error["type"])


def test_a_refused_token_is_a_403_with_the_fix_not_a_401(
    gateway: InProcess, google: FakeGoogle
) -> None:
    google.fail_next(CHAT, vertex_error("unauthenticated"), vertex_error("unauthenticated"))
    with pytest.raises(openai.PermissionDeniedError, match=r"Vertex AI refused the token.*fix:"):
        gateway.client(max_retries=0).responses.create(model="gemini-2.5-flash", input="hi")
    assert google.count(CHAT) == 2  # one renewal, as for any request


def test_a_429_keeps_retry_after(gateway: InProcess, google: FakeGoogle) -> None:
    google.fail_next(CHAT, chat_error(429, retry_after="7"))
    status, headers, _ = answer_to(gateway)
    assert (status, headers["retry-after"]) == (429, "7")


def test_a_too_long_input_is_a_400_clients_recognise(
    gateway: InProcess, google: FakeGoogle
) -> None:
    message = "The input token count (2000000) exceeds the maximum number of tokens allowed."
    google.fail_next(CHAT, chat_error(400, message))
    with pytest.raises(openai.BadRequestError) as caught:
        gateway.client(max_retries=0).responses.create(model="gemini-2.5-flash", input="hi")
    assert caught.value.code == "context_length_exceeded"
    assert message in str(caught.value)


def test_the_client_gets_vertexs_quote_of_its_request(
    gateway: InProcess, google: FakeGoogle
) -> None:
    google.fail_next(CHAT, quoting_error())
    _, _, error = answer_to(gateway)
    assert '"hi"' in error["message"]  # the client's own words come back to it


def test_a_stream_cut_midway_ends_with_response_failed(
    gateway: InProcess, google: FakeGoogle
) -> None:
    google.fail_next(CHAT, google.cut_stream())
    events = list(
        gateway.client().responses.create(model="gemini-2.5-flash", input="hi", stream=True)
    )
    assert [event.type for event in events][-1] == "response.failed"
    failed = events[-1].response  # type: ignore[union-attr]
    assert failed.error is not None
    assert failed.error.code == "server_error"
    assert failed.error.message.startswith("Vertex AI stream broke off after 1 chunk")
    assert failed.output == []  # the half-written message is not passed as done
    assert gateway.said_soon(" 200 broke off ")


def test_an_error_inside_the_stream_fails_the_response_as_a_rate_limit(
    gateway: InProcess, google: FakeGoogle
) -> None:
    error = {
        "error": {"code": 429, "message": "Resource exhausted.", "status": "RESOURCE_EXHAUSTED"}
    }
    body = b'data: {"choices": [{"index": 0, "delta": {"content": "Hel"}}]}\n\n'
    body += b"data: " + json.dumps(error).encode() + b"\n\n"
    google.fail_next(CHAT, lambda call: (200, {"content-type": "text/event-stream"}, iter([body])))
    events = list(
        gateway.client().responses.create(model="gemini-2.5-flash", input="hi", stream=True)
    )
    failed = events[-1].response  # type: ignore[union-attr]
    assert failed.error is not None
    assert (failed.error.code, failed.error.message) == (
        "rate_limit_exceeded",
        "Vertex AI stopped the answer: Resource exhausted.",
    )


@pytest.mark.parametrize("stream", [False, True])
def test_an_answer_out_of_tokens_is_incomplete(
    stream: bool, gateway: InProcess, google: FakeGoogle
) -> None:
    google.fail_next(CHAT, google.finish_length())
    client = gateway.client()
    if stream:
        events = list(client.responses.create(model="gemini-2.5-flash", input="hi", stream=True))
        assert events[-1].type == "response.incomplete"
        reply = events[-1].response
    else:
        reply = client.responses.create(model="gemini-2.5-flash", input="hi")
    assert reply.status == "incomplete"
    assert reply.incomplete_details is not None
    assert reply.incomplete_details.reason == "max_output_tokens"
    assert reply.output_text.startswith("Hello from")


@pytest.mark.parametrize("stream", [False, True])
def test_an_answer_shaped_oddly_fails_cleanly(
    stream: bool, gateway: InProcess, google: FakeGoogle
) -> None:
    odd = {"choices": [{"index": 0, "delta": ["not", "an", "object"], "message": ["nor"]}]}
    if stream:
        body = b"data: " + json.dumps(odd).encode() + b"\n\ndata: [DONE]\n\n"
        google.fail_next(CHAT, lambda call: (200, {"content-type": "text/event-stream"}, body))
        events = list(
            gateway.client().responses.create(model="gemini-2.5-flash", input="hi", stream=True)
        )
        failed = events[-1].response  # type: ignore[union-attr]
        assert failed.error is not None
        assert failed.error.message.startswith("Vertex AI sent an answer the gateway cannot read")
    else:
        google.fail_next(CHAT, lambda call: (200, {"content-type": "application/json"},
                                             json.dumps(odd).encode()))  # fmt: skip
        status, _, error = answer_to(gateway)
        assert (status, error["code"]) == (502, "upstream_error")
