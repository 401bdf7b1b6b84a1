"""tool_choice when a name is offered more than once (plain, and in namespaces): the
namespace a choice gives picks the tool; without one, only a name held once is guessed."""

from __future__ import annotations

import pytest

from tests.translating import function, namespace
from vertex_openai_env.gateway.translate.problems import Unsendable
from vertex_openai_env.gateway.translate.tools import chat_tool_choice, chat_tools

TOOLS = [function("spawn"), namespace("a", function("spawn")), namespace("b", function("spawn"))]


@pytest.mark.parametrize(
    ("namespace_", "chat"), [("a", "a__spawn"), ("b", "b__spawn"), (None, "spawn")]
)
def test_the_namespace_a_choice_gives_picks_among_tools_of_one_name(
    namespace_: str | None, chat: str
) -> None:
    choice = {"type": "function", "name": "spawn", "namespace": namespace_}
    sent, _ = chat_tool_choice(choice, chat_tools(TOOLS))
    assert sent == {"type": "function", "function": {"name": chat}}


def test_a_name_two_namespaces_hold_is_not_guessed() -> None:
    tools = chat_tools(TOOLS[1:])
    with pytest.raises(Unsendable, match="tool_choice names 'spawn', not an offered tool"):
        chat_tool_choice({"type": "function", "name": "spawn"}, tools)
