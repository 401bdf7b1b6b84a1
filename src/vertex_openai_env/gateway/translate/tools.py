"""Responses tools as chat functions, and each function's name back to the tool it stands for.

Vertex takes function tools only, named by Gemini's rule. So a `namespace` is flattened
(`ns__name`), a `custom` tool (Codex's freeform `apply_patch`) becomes a function of one
string, `local_shell` a function of its own, and hosted tools (`web_search`, which Codex
always offers, `file_search`, ...) are left out rather than refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from .problems import Unsendable

Json = dict[str, Any]
# Gemini's rule for a function name: a letter or _ first; letters, digits, _ . : -; 64 at most.
_GEMINI_NAME = r"[A-Za-z_][A-Za-z0-9_.:-]{0,63}"
HOSTED = frozenset(
    ("web_search", "web_search_preview", "web_search_preview_2025_03_11", "file_search",
     "code_interpreter", "image_generation", "mcp", "computer_use_preview", "computer_use",
     "tool_search")
)  # fmt: skip
NO_PARAMETERS: Json = {"type": "object", "properties": {}}
LOCAL_SHELL = "local_shell"
_LOCAL_SHELL_PARAMETERS: Json = {
    "type": "object",
    "properties": {
        "command": {"type": "array", "items": {"type": "string"}},
        "workdir": {"type": "string"},
        "timeout_ms": {"type": "integer"},
    },
    "required": ["command"],
}
_CUSTOM_PARAMETERS: Json = {
    "type": "object",
    "properties": {"input": {"type": "string"}},
    "required": ["input"],
}


class Origin(NamedTuple):
    """The tool a chat function stands for."""

    kind: str  # function, custom or local_shell
    name: str
    namespace: str | None = None


class Tools(NamedTuple):
    """The chat functions for a request, and what each one stands for."""

    functions: list[Json]
    origins: dict[str, Origin]  # chat name: tool

    def origin(self, chat_name: str) -> Origin:
        """The tool behind `chat_name`; a name no tool had comes back as a plain function,
        so that the client says itself that it knows no such tool."""
        return self.origins.get(chat_name) or Origin("function", chat_name)

    def chat_name(self, name: str, namespace: str | None = None) -> str:
        """The chat name of the tool `name` (in `namespace`)."""
        return f"{namespace}__{name}" if namespace else name


def chat_tools(tools: object) -> Tools:
    """The chat functions for a request's `tools`."""
    if tools is None:
        return Tools([], {})
    if not isinstance(tools, list):
        raise Unsendable("tools must be a list", "tools")
    found = Tools([], {})
    for index, tool in enumerate(tools):
        _add(found, tool, f"tools[{index}]", None)
    return found


def _add(found: Tools, tool: object, param: str, namespace: str | None) -> None:
    if not isinstance(tool, dict):
        raise Unsendable(f"{param} must be an object", param)
    kind = tool.get("type")
    if isinstance(kind, str) and kind in HOSTED:
        return  # a tool Google would run for OpenAI: not offered, never refused
    if kind == "namespace" and namespace is None:
        inner = tool.get("tools")
        if not isinstance(inner, list):
            raise Unsendable(f"{param}.tools must be a list", f"{param}.tools")
        for index, each in enumerate(inner):
            _add(found, each, f"{param}.tools[{index}]", _name(tool, param))
        return
    if kind in ("function", "custom") and tool.get("allowed_callers") not in (None, ["direct"]):
        # Offered to the model, a tool meant for programs only would be called directly.
        raise Unsendable(f"{param}.allowed_callers is not supported", param)
    if kind == "function":
        parameters = tool.get("parameters") or NO_PARAMETERS
        origin = Origin("function", _name(tool, param), namespace)
        _offer(found, origin, param, tool.get("description"), parameters)
    elif kind == "custom":
        origin = Origin("custom", _name(tool, param), namespace)
        _offer(found, origin, param, _custom_description(tool), _CUSTOM_PARAMETERS)
    elif kind == LOCAL_SHELL:
        description = "Run a command on the user's machine: argv in `command`."
        _offer(found, Origin(LOCAL_SHELL, LOCAL_SHELL), param, description, _LOCAL_SHELL_PARAMETERS)
    else:
        raise Unsendable(f"tool type {str(kind)[:40]!r} is not supported by the gateway", param)


def _name(tool: Json, param: str) -> str:
    name = tool.get("name")
    if not isinstance(name, str) or not name:
        raise Unsendable(f"{param}.name is missing", f"{param}.name")
    return name


def _offer(
    found: Tools, origin: Origin, param: str, description: object, parameters: object
) -> None:
    name = found.chat_name(origin.name, origin.namespace)
    if not re.fullmatch(_GEMINI_NAME, name):
        raise Unsendable(
            f"tool name {name[:80]!r} does not suit Vertex AI: a letter or _ first, then "
            "letters, digits, _ . : - (64 characters at most, the namespace and __ included)",
            f"{param}.name",
        )
    if name in found.origins:
        raise Unsendable(f"two tools are named {name!r}", f"{param}.name")
    function: Json = {"name": name}
    if isinstance(description, str) and description:
        function["description"] = description
    function["parameters"] = parameters
    found.functions.append({"type": "function", "function": function})
    found.origins[name] = origin


def _custom_description(tool: Json) -> str:
    lines = [str(tool.get("description") or "")]
    lines.append("Pass the raw text as the `input` argument, not JSON.")
    grammar = tool.get("format")
    if isinstance(grammar, dict) and grammar.get("definition"):
        syntax = grammar.get("syntax") or "grammar"
        lines.append(f"The text follows this {syntax} grammar:\n```\n{grammar['definition']}\n```")
    return "\n".join(line for line in lines if line)


def chat_tool_choice(choice: object, tools: Tools) -> tuple[object | None, Tools]:
    """The chat `tool_choice` for a Responses one, and the tools it leaves offered."""
    if choice is None or choice in ("auto", "none", "required"):
        return choice, tools
    if not isinstance(choice, Mapping):
        raise Unsendable("tool_choice must be auto, none, required or an object", "tool_choice")
    kind = choice.get("type")
    if kind == "allowed_tools":
        listed = choice.get("tools") or []
        if not isinstance(listed, list):
            raise Unsendable("tool_choice.tools must be a list", "tool_choice")
        allowed = {_chosen(each, tools) for each in listed}
        kept = [f for f in tools.functions if f["function"]["name"] in allowed]
        origins = {name: o for name, o in tools.origins.items() if name in allowed}
        return choice.get("mode") or "auto", Tools(kept, origins)
    return {"type": "function", "function": {"name": _chosen(choice, tools)}}, tools


def _chosen(choice: object, tools: Tools) -> str:
    """The chat name of the one tool `choice` names."""
    if not isinstance(choice, Mapping):
        raise Unsendable("tool_choice names a tool with an object", "tool_choice")
    kind = choice.get("type")
    if kind == LOCAL_SHELL:
        name = LOCAL_SHELL
    elif kind in ("function", "custom"):
        name = tools.chat_name(str(choice.get("name") or ""), choice.get("namespace"))
        # openai-python's choice has no namespace: a name one namespace alone holds is it.
        inside = [chat for chat, tool in tools.origins.items() if tool.name == choice.get("name")]
        if name not in tools.origins and len(inside) == 1:
            name = inside[0]
    else:
        name = ""
    if name not in tools.origins:
        said = choice.get("name") or kind
        raise Unsendable(
            f"tool_choice names {str(said)[:80]!r}, not an offered tool", "tool_choice"
        )
    return name


def custom_input(arguments: str) -> str:
    """A custom tool's raw input from the JSON arguments a model wrote for its function.

    Models wrap the text in various ways ({"input": ...}, {"patch": ...}); text that is
    not JSON is taken as it is.
    """
    try:
        parsed = json.loads(arguments)
    except ValueError:
        return arguments
    if isinstance(parsed, str):
        return parsed
    if isinstance(parsed, dict):
        if isinstance(parsed.get("input"), str):
            return str(parsed["input"])
        texts = [value for value in parsed.values() if isinstance(value, str)]
        if len(texts) == 1:
            return texts[0]
    return arguments


def shell_action(arguments: str) -> Json:
    """A `local_shell_call` action from its function's JSON arguments."""
    try:
        parsed = json.loads(arguments or "{}")
    except ValueError:
        parsed = {}
    if not isinstance(parsed, dict):
        parsed = {}
    command = parsed.get("command")
    return {
        "type": "exec",
        "command": [str(part) for part in command] if isinstance(command, list) else [],
        "working_directory": parsed.get("workdir"),
        "timeout_ms": parsed.get("timeout_ms"),
        "env": {},
        "user": None,
    }
