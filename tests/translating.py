"""What the translator's unit tests share: tools to translate with, a lookup standing in for
the store, and random ids made stable so that whole event sequences compare as they are."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from vertex_openai_env.gateway.translate.inputs import Lookup
from vertex_openai_env.gateway.translate.items import Assembler
from vertex_openai_env.gateway.translate.problems import Unsendable
from vertex_openai_env.gateway.translate.tools import Tools, chat_tools

Json = dict[str, Any]
_RANDOM_ID = re.compile(r"(msg|rs|fc|ctc|lsc|call|resp|item)_[0-9a-f]{32}")


def function(name: str, **more: object) -> Json:
    return {"type": "function", "name": name, **more}


def namespace(name: str, *tools: Json) -> Json:
    return {"type": "namespace", "name": name, "description": "grouped", "tools": list(tools)}


def custom(name: str, **more: object) -> Json:
    return {"type": "custom", "name": name, **more}


def offered() -> Tools:
    """One tool of each kind a client offers: a function, a namespace (a function and a
    custom tool), a custom tool, local_shell, and a hosted tool (left out)."""
    return chat_tools(
        [
            function("get_weather"),
            namespace("ns", function("spawn"), custom("edit")),
            custom("apply_patch"),
            {"type": "local_shell"},
            {"type": "web_search"},
        ]
    )


def lookup(
    items: Mapping[str, Json] | None = None,
    signatures: Mapping[str, str] | None = None,
    gemini: bool = False,
) -> Lookup:
    return Lookup(dict(items or {}).get, dict(signatures or {}).get, gemini)


def refusal(call: Callable[..., object], *args: object) -> Unsendable:
    """The Unsendable that `call(*args)` raises."""
    with pytest.raises(Unsendable) as caught:
        call(*args)
    assert str(caught.value) == caught.value.message
    return caught.value


def stable(value: object) -> Any:
    """`value` with each random id replaced by its prefix and the order it first came in
    (`fc#1`, `fc#2`), so that the same id stays the same and two ids stay two."""
    seen: dict[str, str] = {}

    def name(found: re.Match[str]) -> str:
        prefix = found.group(1)
        count = sum(1 for each in seen.values() if each.startswith(prefix + "#"))
        return seen.setdefault(found.group(0), f"{prefix}#{count + 1}")

    def walk(each: object) -> object:
        if isinstance(each, dict):
            return {walk(key): walk(inner) for key, inner in each.items()}
        if isinstance(each, list | tuple):
            return type(each)(walk(inner) for inner in each)
        if isinstance(each, str):
            return _RANDOM_ID.sub(name, each)
        return each

    return walk(value)


def delta(**given: object) -> Json:
    """A chat stream chunk carrying `given` as its delta."""
    return {"choices": [{"index": 0, "delta": given}]}


def calls(*given: Json) -> Json:
    return delta(tool_calls=list(given))


def fn(name: str | None = None, arguments: str | None = None, **more: object) -> Json:
    """A tool call (or a piece of one) in a chat delta."""
    pairs = (("name", name), ("arguments", arguments))
    return {"type": "function", "function": {k: v for k, v in pairs if v is not None}, **more}


def run(*chunks: Json) -> tuple[Assembler, list[Any]]:
    """The assembler after `chunks` and the end, and every event it gave, ids made stable."""
    assembler = Assembler(offered())
    events = [event for chunk in chunks for event in assembler.feed(chunk)]
    events += assembler.close()
    return assembler, stable([list(event) for event in events])
