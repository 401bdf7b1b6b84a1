"""The Responses API's routes beside `create`, as a client reads them whole: a response
deleted, its input items listed, one that is not kept, a path the gateway does not serve,
and the events of a stream as they go on the wire."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.gateways import InProcess, raw

KEPT = "the last 256 responses for 1h"  # the store's default, as messages say it


def call(gateway: InProcess, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    status, _, data = raw(gateway, method, path, b"" if body is None else json.dumps(body).encode())
    return status, json.loads(data)


def created(gateway: InProcess) -> dict[str, Any]:
    status, response = call(
        gateway,
        "POST",
        "/v1/responses",
        {"model": "gemini-2.5-flash", "input": [{"role": "user", "content": "hi"}]},
    )
    assert status == 200
    return response  # type: ignore[no-any-return]


def not_kept(rid: str) -> dict[str, Any]:
    message = (
        f"response {rid[:80]} is not kept by the gateway: it keeps {KEPT}, in memory, and "
        "forgets them when it stops"
    )
    return {"error": {"message": message, "type": "invalid_request_error", "param": None,
                      "code": "not_found"}}  # fmt: skip


def test_a_deleted_response_is_confirmed_then_gone(gateway: InProcess) -> None:
    rid = created(gateway)["id"]
    assert call(gateway, "DELETE", f"/v1/responses/{rid}") == (
        200,
        {"id": rid, "object": "response", "deleted": True},
    )
    assert call(gateway, "DELETE", f"/v1/responses/{rid}") == (404, not_kept(rid))


@pytest.mark.parametrize(
    ("method", "route"), [("GET", ""), ("DELETE", ""), ("GET", "/input_items")]
)
def test_a_response_not_kept_is_named_cut_at_80_characters(
    gateway: InProcess, method: str, route: str
) -> None:
    rid = "resp_" + "z" * 100
    assert call(gateway, method, f"/v1/responses/{rid}{route}") == (404, not_kept(rid))


def test_the_input_items_are_listed_as_a_page_that_is_the_only_one(gateway: InProcess) -> None:
    rid = created(gateway)["id"]
    status, listing = call(gateway, "GET", f"/v1/responses/{rid}/input_items")
    assert status == 200
    data = listing.pop("data")
    assert [item["content"][0]["text"] for item in data] == ["hi"]
    assert listing == {
        "object": "list",
        "has_more": False,
        "first_id": data[0]["id"],
        "last_id": data[-1]["id"],
    }
    assert data[0]["id"]


def test_a_previous_response_not_kept_is_refused_naming_the_parameter(
    gateway: InProcess,
) -> None:
    rid = "resp_" + "q" * 100
    status, body = call(
        gateway,
        "POST",
        "/v1/responses",
        {"model": "gemini-2.5-flash", "input": "hi", "previous_response_id": rid},
    )
    assert (status, body) == (
        400,
        {
            "error": {
                "message": f"response {rid[:80]} is not kept by the gateway: it keeps {KEPT}, "
                "in memory; resend the whole input, or set store to false and send it each time",
                "type": "invalid_request_error",
                "param": "previous_response_id",
                "code": "previous_response_not_found",
            }
        },
    )


def test_a_previous_response_kept_is_named_in_the_next(gateway: InProcess) -> None:
    rid = created(gateway)["id"]
    status, response = call(
        gateway,
        "POST",
        "/v1/responses",
        {"model": "gemini-2.5-flash", "input": "again", "previous_response_id": rid},
    )
    assert (status, response["previous_response_id"]) == (200, rid)
    status, response = call(
        gateway, "POST", "/v1/responses", {"model": "gemini-2.5-flash", "input": "new"}
    )
    assert (status, response["previous_response_id"]) == (200, None)


def test_a_path_under_responses_it_does_not_serve_is_named_cut_at_100_characters(
    gateway: InProcess,
) -> None:
    path = "/v1/responses/a/b/" + "c" * 150
    status, body = call(gateway, "POST", path, {})
    assert (status, body["error"]["code"]) == (404, "not_found")
    assert body["error"]["message"] == (
        f"the gateway does not serve POST {path[:100]} (nor Vertex AI)"
    )


def test_a_stream_goes_on_the_wire_as_whole_events_numbered_from_zero(
    gateway: InProcess,
) -> None:
    ask = {"model": "gemini-2.5-flash", "input": "hi", "stream": True}
    status, _, body = raw(gateway, "POST", "/v1/responses", json.dumps(ask).encode())
    assert status == 200
    frames = body.decode().split("\n\n")
    assert frames.pop() == ""
    events = []
    for frame in frames:
        kind, data = frame.split("\n")
        assert kind.startswith("event: ")
        assert data.startswith("data: ")
        events.append(json.loads(data.removeprefix("data: ")))
        assert events[-1]["type"] == kind.removeprefix("event: ")
    assert [event["sequence_number"] for event in events] == list(range(len(events)))
    first, second = events[0], events[1]
    assert (first["type"], first["response"]["status"]) == ("response.created", "in_progress")
    assert (second["type"], second["response"]["status"]) == ("response.in_progress", "in_progress")
    assert (events[-1]["type"], events[-1]["response"]["status"]) == (
        "response.completed",
        "completed",
    )
