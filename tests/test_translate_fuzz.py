"""Any JSON body a client sends is translated or refused with a 400: never a crash, which
the gateway would answer with a 500 (RESPONSES.md §D: never 500)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.translating import lookup
from vertex_openai_env.gateway.translate import legacy, request
from vertex_openai_env.gateway.translate.problems import Unsendable
from vertex_openai_env.gateway.translate.response import Shell

WORDS = st.sampled_from(
    ["", "x", "c1", "msg_1", "ns", "get_weather", "function", "custom", "namespace", "local_shell",
     "web_search", "message", "user", "assistant", "developer", "function_call", "custom_tool_call",
     "local_shell_call", "function_call_output", "item_reference", "reasoning", "input_text",
     "output_text", "input_image", "input_file", "allowed_tools", "json_schema", "high", "direct"]
)  # fmt: skip
ANY = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 3) | WORDS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(WORDS, inner, max_size=3),
    max_leaves=8,
)


def shaped(*fields: str, **inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Objects with some of `fields` (anything in them, or what `inner` says), or anything."""
    optional = dict.fromkeys(fields, ANY) | {name: each | ANY for name, each in inner.items()}
    return st.fixed_dictionaries({}, optional=optional) | ANY


PART = shaped("type", "text", "image_url", "file_data", "file_url", "file_id", "filename")
CONTENT = st.lists(PART, max_size=3)
ITEM = shaped("type", "role", "call_id", "id", "name", "namespace", "arguments", "input",
              action=shaped("command", "working_directory"), content=CONTENT, output=CONTENT)  # fmt: skip
TOOL = shaped("type", "name", "parameters", "format", "allowed_callers",
              tools=st.lists(shaped("type", "name", "allowed_callers"), max_size=2))  # fmt: skip
BODY = shaped(
    "instructions", "stream", "store", "max_output_tokens", "prompt", "best_of", "suffix", "echo",
    input=st.lists(ITEM, max_size=5), tools=st.lists(TOOL, max_size=3),
    tool_choice=shaped("type", "name", "namespace", "mode", "tools"), reasoning=shaped("effort"),
    text=shaped(format=shaped("type", "name", "schema", "strict")),
)  # fmt: skip
KEPT = lookup(
    {"msg_1": {"type": "message", "role": "assistant", "content": "kept"}}, {"c1": "s"}, True
)


def status(translate: Callable[[], object]) -> int:
    try:
        translate()
    except Unsendable as problem:
        return problem.status
    return 200


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODY)
def test_any_body_is_translated_or_refused(body: object) -> None:
    translations = [
        lambda: request.chat_request(body, "m", [], KEPT),
        lambda: legacy.chat_request(body, "m"),
        lambda: Shell(body).response("completed") if isinstance(body, dict) else None,
    ]
    assert {status(each) for each in translations} <= {200, 400}
