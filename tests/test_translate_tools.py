"""Responses tools as chat functions, tool_choice, and a call's arguments back to its tool."""

from __future__ import annotations

import json

import pytest

from tests.translating import Json, custom, function, namespace, offered, refusal
from vertex_openai_env.gateway.translate.tools import (
    HOSTED,
    Origin,
    chat_tool_choice,
    chat_tools,
    custom_input,
    shell_action,
)

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
NONE = {"type": "object", "properties": {}}
RAW = {"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]}
SHELL = {"type": "object", "required": ["command"], "properties": {  # the spec's, in its words
    "command": {"type": "array", "items": {"type": "string"}}, "workdir": {"type": "string"}, "timeout_ms": {"type": "integer"}}}  # fmt: skip
SHELL_SAYS = "Run a command on the user's machine: argv in `command`."
GRAMMAR = {"type": "grammar", "syntax": "lark", "definition": "start: 'x'"}


def chat(name: str, parameters: Json, description: str | None = None) -> Json:
    said = {} if description is None else {"description": description}
    return {"type": "function", "function": {"name": name, **said, "parameters": parameters}}


@pytest.mark.parametrize(
    ("tools", "functions", "origins"),
    [
        (None, [], {}),
        ([], [], {}),
        (
            [function("get_weather", description="Weather", parameters=SCHEMA, strict=True)],
            [chat("get_weather", SCHEMA, "Weather")],
            {"get_weather": Origin("function", "get_weather")},
        ),
        ([function("ping")], [chat("ping", NONE)], {"ping": Origin("function", "ping")}),
        ([function("ping", allowed_callers=["direct"])], [chat("ping", NONE)], None),
        ([function("ping", parameters={}, description="")], [chat("ping", NONE)], None),
        (
            [namespace("multi_agent_v1", function("spawn_agent", parameters=SCHEMA), function("close"))],
            [chat("multi_agent_v1__spawn_agent", SCHEMA), chat("multi_agent_v1__close", NONE)],
            {
                "multi_agent_v1__spawn_agent": Origin("function", "spawn_agent", "multi_agent_v1"),
                "multi_agent_v1__close": Origin("function", "close", "multi_agent_v1"),
            },
        ),
        (
            [namespace("ns", custom("edit", description="Edits."), {"type": "web_search"})],
            [chat("ns__edit", RAW, "Edits.\nPass the raw text as the `input` argument, not JSON.")],
            {"ns__edit": Origin("custom", "edit", "ns")},
        ),
        (
            [custom("apply_patch", description="Patch files.", format=GRAMMAR)],
            [chat("apply_patch", RAW, "Patch files.\nPass the raw text as the `input` argument, not JSON.\nThe text follows this lark grammar:\n```\nstart: 'x'\n```")],
            {"apply_patch": Origin("custom", "apply_patch")},
        ),
        (
            [custom("raw", format={"type": "grammar", "definition": "d"})],
            [chat("raw", RAW, "Pass the raw text as the `input` argument, not JSON.\nThe text follows this grammar grammar:\n```\nd\n```")],
            None,
        ),
        (
            [custom("raw", format={"type": "text"}, allowed_callers=["direct"])],
            [chat("raw", RAW, "Pass the raw text as the `input` argument, not JSON.")],
            None,
        ),
        (
            [{"type": "local_shell"}],
            [chat("local_shell", SHELL, SHELL_SAYS)],
            {"local_shell": Origin("local_shell", "local_shell")},
        ),
        ([{"type": kind} for kind in sorted(HOSTED)], [], {}),
    ],
)  # fmt: skip
def test_tools_become_chat_functions(
    tools: object, functions: list[Json], origins: dict[str, Origin] | None
) -> None:
    found = chat_tools(tools)
    assert found.functions == functions
    if origins is not None:
        assert found.origins == origins
    assert list(found.origins) == [each["function"]["name"] for each in functions]


def test_the_hosted_tools_left_out_are_openais_own() -> None:
    assert {"web_search", "web_search_preview", "file_search", "code_interpreter"} <= HOSTED
    assert {"image_generation", "mcp", "computer_use_preview", "tool_search"} <= HOSTED


@pytest.mark.parametrize(
    ("name", "ns", "fits"),
    [
        ("a", None, True),
        ("_private", None, True),
        ("Z.y:x-w_9", None, True),
        ("a" * 64, None, True),
        ("a" * 65, None, False),
        ("1st", None, False),
        ("-dash", None, False),
        (".dot", None, False),
        ("has space", None, False),
        ("slash/name", None, False),
        ("café", None, False),
        ("line\n", None, False),
        ("b" * 61, "n", True),  # n__ and 61: 64
        ("b" * 62, "n", False),
        ("x", "9ns", False),
        ("x", "n s", False),
        ("c" * 200, None, False),  # shown cut to 80
    ],
)  # fmt: skip
def test_tool_names_follow_geminis_rule_namespace_included(
    name: str, ns: str | None, fits: bool
) -> None:
    tool = function(name) if ns is None else namespace(ns, function(name))
    if fits:
        assert chat_tools([tool]).functions[0]["function"]["name"] == (
            f"{ns}__{name}" if ns else name
        )
    else:
        problem = refusal(chat_tools, [tool])
        assert problem.status == 400
        assert problem.param == ("tools[0].name" if ns is None else "tools[0].tools[0].name")
        shown = (f"{ns}__{name}" if ns else name)[:80]
        assert problem.message == (
            f"tool name {shown!r} does not suit Vertex AI: a letter or _ first, then letters, "
            "digits, _ . : - (64 characters at most, the namespace and __ included)"
        )


@pytest.mark.parametrize(
    ("tools", "param", "says"),
    [
        ({"type": "function"}, "tools", "tools must be a list"),
        (["get_weather"], "tools[0]", "tools[0] must be an object"),
        ([{"type": "shell"}], "tools[0]", "tool type 'shell' is not supported by the gateway"),
        ([function("ok"), {"type": "apply_patch"}], "tools[1]", "tool type 'apply_patch' is not supported by the gateway"),
        ([{"type": "t" * 50}], "tools[0]", f"tool type {'t' * 40!r} is not supported by the gateway"),
        ([{"name": "untyped"}], "tools[0]", "tool type 'None' is not supported by the gateway"),
        ([{"type": ["function"]}], "tools[0]", "tool type \"['function']\" is not supported by the gateway"),
        ([{"type": "namespace", "name": "ns", "tools": "x"}], "tools[0].tools", "tools[0].tools must be a list"),
        ([namespace("ns", namespace("inner", function("f")))], "tools[0].tools[0]", "tool type 'namespace' is not supported by the gateway"),
        ([{"type": "namespace", "name": "ns", "tools": ["f"]}], "tools[0].tools[0]", "tools[0].tools[0] must be an object"),
        ([{"type": "namespace", "tools": [function("f")]}], "tools[0].name", "tools[0].name is missing"),
        ([{"type": "function", "name": ""}], "tools[0].name", "tools[0].name is missing"),
        ([{"type": "function", "name": 7}], "tools[0].name", "tools[0].name is missing"),
        ([custom("")], "tools[0].name", "tools[0].name is missing"),
        ([function("f"), function("f")], "tools[1].name", "two tools are named 'f'"),
        ([function("ns__f"), namespace("ns", function("f"))], "tools[1].tools[0].name", "two tools are named 'ns__f'"),
        ([function("f"), custom("f")], "tools[1].name", "two tools are named 'f'"),
        ([{"type": "local_shell"}, {"type": "local_shell"}], "tools[1].name", "two tools are named 'local_shell'"),
        ([custom("c", allowed_callers=["programmatic"])], "tools[0]", "tools[0].allowed_callers is not supported"),
        ([custom("c", allowed_callers=["direct", "programmatic"])], "tools[0]", "tools[0].allowed_callers is not supported"),
        ([custom("c", allowed_callers=[])], "tools[0]", "tools[0].allowed_callers is not supported"),
        ([function("f", allowed_callers=["programmatic"])], "tools[0]", "tools[0].allowed_callers is not supported"),
        ([namespace("ns", function("f", allowed_callers=["programmatic"]))], "tools[0].tools[0]", "tools[0].tools[0].allowed_callers is not supported"),
    ],
)  # fmt: skip
def test_tools_gemini_cannot_take_are_refused(tools: object, param: str, says: str) -> None:
    problem = refusal(chat_tools, tools)
    assert (problem.status, problem.code, problem.param) == (400, "invalid_request", param)
    assert problem.message == says


def test_a_name_no_tool_had_comes_back_as_a_plain_function() -> None:
    tools = offered()
    assert tools.origin("ns__spawn") == Origin("function", "spawn", "ns")
    assert tools.origin("web_search") == Origin("function", "web_search")
    assert (tools.chat_name("f"), tools.chat_name("f", "ns"), tools.chat_name("f", "")) == (
        "f",
        "ns__f",
        "f",
    )


def named(name: str) -> Json:
    return {"type": "function", "function": {"name": name}}


@pytest.mark.parametrize(
    ("choice", "sent"),
    [
        (None, None),
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        ({"type": "function", "name": "get_weather"}, named("get_weather")),
        ({"type": "function", "name": "spawn", "namespace": "ns"}, named("ns__spawn")),
        ({"type": "function", "name": "spawn"}, named("ns__spawn")),  # openai-python's choice has no namespace
        ({"type": "custom", "name": "apply_patch"}, named("apply_patch")),
        ({"type": "local_shell"}, named("local_shell")),
    ],
)  # fmt: skip
def test_tool_choice_names_the_chat_function(choice: object, sent: object) -> None:
    tools = offered()
    assert chat_tool_choice(choice, tools) == (sent, tools)


@pytest.mark.parametrize(
    ("mode", "allowed", "sent", "kept"),
    [
        ("required", [{"type": "function", "name": "get_weather"}], "required", ["get_weather"]),
        (None, [{"type": "local_shell"}, {"type": "custom", "name": "apply_patch"}], "auto", ["apply_patch", "local_shell"]),
        ("auto", [{"type": "function", "name": "spawn", "namespace": "ns"}], "auto", ["ns__spawn"]),
        ("auto", [], "auto", []),
    ],
)  # fmt: skip
def test_allowed_tools_keep_only_those_tools(
    mode: str | None, allowed: list[Json], sent: str, kept: list[str]
) -> None:
    choice = {"type": "allowed_tools", "tools": allowed, **({"mode": mode} if mode else {})}
    sent_choice, tools = chat_tool_choice(choice, offered())
    assert sent_choice == sent
    assert [each["function"]["name"] for each in tools.functions] == kept
    assert list(tools.origins) == kept


@pytest.mark.parametrize(
    ("choice", "says"),
    [
        ("any", "tool_choice must be auto, none, required or an object"),
        (["auto"], "tool_choice must be auto, none, required or an object"),
        ({"type": "web_search"}, "tool_choice names 'web_search', not an offered tool"),
        ({"type": "file_search"}, "tool_choice names 'file_search', not an offered tool"),
        ({"type": "mcp", "server_label": "deepwiki"}, "tool_choice names 'mcp', not an offered tool"),
        ({"type": "function", "name": "web_search"}, "tool_choice names 'web_search', not an offered tool"),
        ({"type": "function", "name": "m" * 100}, f"tool_choice names {'m' * 80!r}, not an offered tool"),
        ({"type": "function", "name": "missing"}, "tool_choice names 'missing', not an offered tool"),
        ({"type": "function"}, "tool_choice names 'function', not an offered tool"),
        ({"type": "allowed_tools", "tools": [{"type": "image_generation"}]}, "tool_choice names 'image_generation', not an offered tool"),
        ({"type": "allowed_tools", "tools": ["get_weather"]}, "tool_choice names a tool with an object"),
        ({"type": "allowed_tools", "tools": 5}, "tool_choice.tools must be a list"),
    ],
)  # fmt: skip
def test_tool_choice_naming_no_offered_tool_is_refused(choice: object, says: str) -> None:
    problem = refusal(chat_tool_choice, choice, offered())
    assert (problem.status, problem.param) == (400, "tool_choice")
    assert problem.message == says


@pytest.mark.parametrize(
    ("arguments", "raw"),
    [
        ('{"input": "*** Begin Patch"}', "*** Begin Patch"),
        ('{"patch": "p"}', "p"),
        ('{"content": "c", "n": 1}', "c"),
        ('{"input": "i", "patch": "p"}', "i"),
        ('{"input": 5, "patch": "p"}', "p"),
        ('{"a": "1", "b": "2"}', '{"a": "1", "b": "2"}'),
        ('{"n": 1}', '{"n": 1}'),
        ("{}", "{}"),
        ('"quoted"', "quoted"),
        ('["x"]', '["x"]'),
        ("42", "42"),
        ("*** Begin Patch\n*** End Patch\n", "*** Begin Patch\n*** End Patch\n"),
        ('{"input": "x"', '{"input": "x"'),
        ("", ""),
    ],
)  # fmt: skip
def test_custom_input_unwraps_what_models_wrap(arguments: str, raw: str) -> None:
    assert custom_input(arguments) == raw


def exec_action(command: list[str], workdir: object = None, timeout: object = None) -> Json:
    return {"type": "exec", "command": command, "working_directory": workdir,
            "timeout_ms": timeout, "env": {}, "user": None}  # fmt: skip


@pytest.mark.parametrize(
    ("arguments", "action"),
    [
        (json.dumps({"command": ["ls", "-l"], "workdir": "/w", "timeout_ms": 500}), exec_action(["ls", "-l"], "/w", 500)),
        ('{"command": ["echo", 1]}', exec_action(["echo", "1"])),
        ('{"command": "ls -l"}', exec_action([])),
        ("", exec_action([])),
        ("not json", exec_action([])),
        ('["ls"]', exec_action([])),
    ],
)  # fmt: skip
def test_shell_action_from_arguments(arguments: str, action: Json) -> None:
    assert shell_action(arguments) == action
