"""The Response object: echoed fields, status from the finish reason, and usage with every
detail field clients parse."""

from __future__ import annotations

import copy
import re
import time

import pytest

from tests.translating import Json, stable
from vertex_openai_env.gateway.translate.response import (
    Shell,
    listed_input,
    responses_usage,
    terminal_event,
)


def usage(
    cached: int = 0, reasoning: int = 0, inputs: int = 0, outputs: int = 0, total: int | None = None
) -> Json:
    return {
        "input_tokens": inputs,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
        "output_tokens": outputs,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": inputs + outputs if total is None else total,
    }


@pytest.mark.parametrize(
    ("chat", "responses"),
    [
        (None, usage()),
        ({}, usage()),
        ({"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14}, usage(inputs=10, outputs=4)),
        ({"prompt_tokens": 10, "completion_tokens": 4}, usage(inputs=10, outputs=4)),
        ({"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 20}, usage(inputs=10, outputs=4, total=20)),
        ({"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14,
          "prompt_tokens_details": {"cached_tokens": 6}, "completion_tokens_details": {"reasoning_tokens": 3}},
         usage(cached=6, reasoning=3, inputs=10, outputs=4)),
        ({"prompt_tokens": 2, "prompt_tokens_details": None, "completion_tokens_details": None},
         usage(inputs=2)),
        ({"prompt_tokens": None, "completion_tokens": 5, "prompt_tokens_details": {"cached_tokens": None}},
         usage(outputs=5)),
    ],
)  # fmt: skip
def test_usage_has_every_detail_field(chat: Json | None, responses: Json) -> None:
    assert responses_usage(chat) == responses


REQUEST: Json = {
    "model": "gemini-2.5-flash", "instructions": "be brief", "max_output_tokens": 50,
    "metadata": {"k": "v"}, "parallel_tool_calls": False, "reasoning": {"effort": "low"},
    "store": False, "temperature": 0.2, "text": {"verbosity": "low"}, "top_p": 0.9,
    "tool_choice": "required", "tools": [{"type": "web_search"}], "input": "hi", "user": "u",
}  # fmt: skip


@pytest.mark.parametrize(
    ("request_", "previous", "echoed"),
    [
        (REQUEST, "resp_1", {
            "instructions": "be brief", "max_output_tokens": 50, "metadata": {"k": "v"},
            "parallel_tool_calls": False, "previous_response_id": "resp_1",
            "reasoning": {"effort": "low", "summary": None}, "store": False, "temperature": 0.2,
            "text": {"format": {"type": "text"}, "verbosity": "low"}, "tool_choice": "required",
            "tools": [{"type": "web_search"}], "top_p": 0.9, "truncation": "disabled", "user": None,
        }),
        ({"model": "m", "store": None, "reasoning": "high", "text": {"format": {"type": "json_object"}}}, None, {
            "instructions": None, "max_output_tokens": None, "metadata": {}, "parallel_tool_calls": True,
            "previous_response_id": None, "reasoning": {"effort": None, "summary": None}, "store": True,
            "temperature": None, "text": {"format": {"type": "json_object"}}, "tool_choice": "auto",
            "tools": [], "top_p": None, "truncation": "disabled", "user": None,
        }),
    ],
)  # fmt: skip
def test_the_response_echoes_the_request(
    request_: Json, previous: str | None, echoed: Json
) -> None:
    before = int(time.time())
    shell = Shell(request_, previous)
    found = shell.response("in_progress")
    assert re.fullmatch(r"resp_[0-9a-f]{32}", found["id"])
    assert before <= found["created_at"] <= time.time()
    assert found == {
        "id": shell.id, "object": "response", "created_at": shell.created_at, "status": "in_progress",
        "background": False, "error": None, "incomplete_details": None, "model": request_["model"],
        "output": [], "usage": None, **echoed,
    }  # fmt: skip


def test_each_event_of_a_request_shows_the_same_response() -> None:
    shell = Shell(REQUEST)
    assert shell.response("in_progress")["id"] == shell.ended([], "stop", None)["id"]
    assert Shell(REQUEST).id != shell.id
    assert Shell({}).model == ""


ITEM = {"id": "msg_1", "type": "message"}
ERROR = {"code": "server_error", "message": "broke"}


@pytest.mark.parametrize(
    ("finish", "status", "incomplete"),
    [
        ("stop", "completed", None),
        ("tool_calls", "completed", None),
        (None, "completed", None),
        ("length", "incomplete", {"reason": "max_output_tokens"}),
        ("content_filter", "incomplete", {"reason": "content_filter"}),
    ],
)  # fmt: skip
def test_an_ended_answer_is_completed_or_incomplete(
    finish: str | None, status: str, incomplete: Json | None
) -> None:
    found = Shell(REQUEST).ended([ITEM], finish, {"prompt_tokens": 1, "completion_tokens": 2})
    assert (found["status"], found["incomplete_details"], found["output"]) == (
        status,
        incomplete,
        [ITEM],
    )
    assert found["usage"] == usage(inputs=1, outputs=2)
    assert found["error"] is None
    assert terminal_event(found) == f"response.{status}"


def test_a_failed_response_carries_its_error_and_the_items_so_far() -> None:
    found = Shell(REQUEST).response("failed", [ITEM], usage(), ERROR)
    assert (found["status"], found["output"], found["usage"], found["error"]) == (
        "failed",
        [ITEM],
        usage(),
        ERROR,
    )
    assert terminal_event(found) == "response.failed"


OUTPUT = {"type": "function_call_output", "call_id": "c1", "output": "x"}
PARTS = [{"type": "input_text", "text": "d"}]


@pytest.mark.parametrize(
    ("item", "listed"),
    [
        ("junk", "junk"),
        ({"role": "user", "content": "two"}, {"id": "msg#1", "type": "message", "role": "user", "content": [{"type": "input_text", "text": "two"}]}),
        ({"type": "message", "role": "assistant", "content": "a", "id": "msg_x"}, {"id": "msg_x", "type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "a"}]}),
        ({"type": "message", "role": "developer", "content": PARTS}, {"id": "msg#1", "type": "message", "role": "developer", "content": PARTS}),
        (OUTPUT, {"id": "item#1", **OUTPUT}),
        ({**OUTPUT, "id": "fco_1"}, {**OUTPUT, "id": "fco_1"}),
        ({**OUTPUT, "id": None}, {**OUTPUT, "id": "item#1"}),
        ({"type": "message", "role": "user", "content": "hi", "id": ""}, {"id": "msg#1", "type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}),
    ],
)  # fmt: skip
def test_input_items_are_listed_as_openai_lists_them(item: object, listed: object) -> None:
    before = copy.deepcopy(item)
    assert stable(listed_input(item)) == listed
    assert item == before
