"""The Codex CLI through the gateway's Responses API, as docs/clients/codex.md has it: a shell
call and a freeform patch on Gemini, a namespaced tool, and how Codex takes each failure.

Codex runs in the lab folder (a git repository, as Codex wants one) with the folder as
CODEX_HOME, so the recipe's config.toml is its configuration; the recipe's fixed port is
swapped for a free one, so that two tests may run at once.
"""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from tests.clients.recipes import CHAT_PATH, Lab, recipe
from tests.conftest import closed_port, require
from tests.fake.chat_errors import chat_error
from tests.fake_google import FakeGoogle, Fault

pytestmark = [pytest.mark.clients, pytest.mark.responses]
RESPONSES_ONLY = {"input", "instructions", "store", "include", "prompt_cache_key",
                  "client_metadata", "parallel_tool_calls", "reasoning", "text"}  # fmt: skip
REPLIED = "the tool said: "


@pytest.fixture
def codex(lab: Lab) -> Lab:
    lab.node_modules()
    lab.env["PATH"] = f"{lab.folder / 'node_modules' / '.bin'}:{lab.env['PATH']}"
    lab.env["CODEX_HOME"] = str(lab.folder)
    subprocess.run([require("git"), "init", "-q", str(lab.folder)], check=True)
    return lab


def files(name: str, model: str = "gemini-2.5-flash") -> dict[str, str]:
    """The recipe's files as the test writes them: a free port, and `model`."""
    port = str(closed_port())
    found = {**recipe("codex"), **recipe(name)}
    return {
        file: text.replace("8765", port).replace("gemini-2.5-flash", model)
        for file, text in found.items()
    }


def sent(google: FakeGoogle) -> list[Any]:
    """Each chat request Vertex received, checked for what no chat request may hold."""
    bodies = [chat.json() for chat in google.chats]
    for body in bodies:
        assert not RESPONSES_ONLY & set(body)
        assert body["messages"][0]["role"] == "system"  # Codex's developer messages, as one
    return bodies


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-3-pro-preview"])
def test_codex_runs_a_shell_call_and_answers_with_its_output(
    model: str, codex: Lab, google: FakeGoogle
) -> None:
    printed = codex.run("codex", replace=files("codex", model))
    assert REPLIED in printed
    first, second = sent(google)
    assert first["model"] == second["model"] == f"google/{model}"
    assert {"exec_command", "multi_agent_v1__spawn_agent"} <= {
        tool["function"]["name"] for tool in first["tools"]
    }
    assistant, tool = second["messages"][-2:]
    call = assistant["tool_calls"][0]
    assert call["id"] == "call_fake_1"
    assert call["extra_content"] == {"google": {"thought_signature": "sig-1"}}
    assert tool["tool_call_id"] == "call_fake_1"
    assert "hello-from-tool" in tool["content"]


def test_codex_applies_a_freeform_patch_through_an_alias(codex: Lab, google: FakeGoogle) -> None:
    codex.run("codex-alias", replace=files("codex-alias"))
    assert (codex.folder / "hello.txt").read_text() == "hi\n"
    first, second = sent(google)
    assert first["model"] == "google/gemini-2.5-pro"
    names = {tool["function"]["name"] for tool in first["tools"]}
    assert "apply_patch" in names
    assert "Success" in second["messages"][-1]["content"]


def test_codex_takes_a_namespaced_call_as_its_own(codex: Lab, google: FakeGoogle) -> None:
    google.call_namespaced = True
    codex.run("codex", replace=files("codex"))
    _, second = sent(google)
    call, output = second["messages"][-2:]
    assert call["tool_calls"][0]["function"]["name"].startswith("multi_agent_v1__")
    assert "unsupported call" not in output["content"]


@pytest.mark.parametrize(
    ("fault", "repeat", "said", "calls"),
    [
        (chat_error(400), 1, "Request contains an invalid argument.", 1),
        ("finish_length", 1, "Incomplete response returned, reason: max_output_tokens", 1),
        (chat_error(429), 40, "429", 1),
        ("cut_stream", 40, "Vertex AI stream broke off", 6),
        (chat_error(500), 40, "Vertex AI answered 500", 30),
    ],
)
def test_codex_shows_each_failure_in_vertexs_words(
    fault: Fault | str, repeat: int, said: str, calls: int, codex: Lab, google: FakeGoogle
) -> None:
    made = getattr(google, fault)() if isinstance(fault, str) else fault
    google.fail_next(CHAT_PATH, *[made] * repeat)
    result = codex.attempt("codex", replace=files("codex"))
    assert result.returncode == 1
    assert said in result.stdout + result.stderr
    assert "high demand" not in result.stdout + result.stderr
    assert len(google.chats) <= calls
