"""The docs' recipes for agent and LLM frameworks, each run by the real client in both modes:
after an `eval`, straight to (the stand-in for) Vertex AI, and under `exec --serve`, through
the gateway. Either way the chat call must carry a Google token and the quota header, and
nothing may leave loopback."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.clients.recipes import OPENAI2_BIN, QUOTA_PROJECT, REPLY, Lab, answer, recipe

pytestmark = pytest.mark.clients

MODES = pytest.mark.parametrize("serve", [False, True], ids=["eval", "exec --serve"])


@dataclass(frozen=True)
class Client:
    """A recipe, what it needs, and how the stand-in answers it."""

    recipe: str
    venv: Path | None = None  # a venv of its own (make clients), else the project's
    node: bool = False  # needs the npm clients
    quota_by_eval: bool = True  # whether it sends OPENAI_CUSTOM_HEADERS after an eval
    reply: Callable[[Lab], None] = lambda lab: None  # what the stand-in answers instead

    def __str__(self) -> str:
        return self.recipe


def dspy_fields(lab: Lab) -> None:
    """DSPy's ChatAdapter reads its output fields from `[[ ## name ## ]]` markers."""
    answer(lab.google, f"[[ ## answer ## ]]\n{REPLY}\n\n[[ ## completed ## ]]")


def tool_call(lab: Lab) -> None:
    """instructor asks for its response model as a tool call."""
    answer(lab.google, arguments={"text": REPLY})


CLIENTS = [
    Client("pydantic-ai"),
    Client("instructor", venv=OPENAI2_BIN, reply=tool_call),
    Client("dspy", reply=dspy_fields),
    Client("smolagents"),
    Client("haystack"),
    Client("semantic-kernel"),
    Client("autogen"),
    Client("llama-index", venv=OPENAI2_BIN),
    # The AI SDK ignores OPENAI_CUSTOM_HEADERS: with user credentials, exec --serve.
    Client("ai-sdk-chat", node=True, quota_by_eval=False),
    Client("ai-sdk-compatible", node=True, quota_by_eval=False),
    Client("langchain-js", node=True),
]


@MODES
@pytest.mark.parametrize("client", CLIENTS, ids=str)
def test_a_framework_reaches_vertex_with_a_token_and_the_quota_header(
    client: Client, serve: bool, lab: Lab
) -> None:
    if client.venv is not None:
        lab.first_on_path(client.venv)
    if client.node:
        lab.node_modules()
    client.reply(lab)
    recipes = [client.recipe, f"{client.recipe}-serve"] if serve else [client.recipe]
    assert lab.run(*recipes).endswith(f"{REPLY}\n")
    quota = QUOTA_PROJECT if serve or client.quota_by_eval else None
    lab.check(quota=quota)


LLAMA_INDEX_OPENAI = """\
from llama_index.llms.openai import OpenAI

OpenAI(model="google/gemini-2.5-flash").complete("Hi")
"""


def test_llama_index_openai_refuses_a_model_outside_its_table_before_sending(lab: Lab) -> None:
    """What the docs say of it, so that they are corrected when a release changes it."""
    lab.first_on_path(OPENAI2_BIN)
    (lab.folder / "app.py").write_text(LLAMA_INDEX_OPENAI)
    script = 'eval "$(vertex-openai-env --project my-proj --location us-central1 --model gemini-2.5-flash)"\npython app.py\n'
    result = subprocess.run(
        ["bash", "-c", script], cwd=lab.folder, env=lab.env, capture_output=True, text=True, timeout=120
    )  # fmt: skip
    assert result.returncode == 1
    assert "ValueError: Unknown model 'google/gemini-2.5-flash'" in result.stderr
    assert lab.google.chats == []
    assert lab.spy.hosts() == []


def test_autogen_without_base_url_sends_a_gemini_model_to_googles_gemini_api(lab: Lab) -> None:
    """Why the docs' recipe names base_url: for a model named gemini-… (the gateway's bare
    ID) AutoGen picks generativelanguage.googleapis.com, and the OpenAI SDK sends it the
    key from OPENAI_API_KEY."""
    app = recipe("autogen")["app.py"].replace('    base_url=os.environ["OPENAI_BASE_URL"],\n', "")
    app = app.replace(
        "asyncio.run(main())", "try:\n    asyncio.run(main())\nexcept Exception:\n    pass"
    )
    gemini_api = ["generativelanguage.googleapis.com:443"]
    lab.run("autogen", "autogen-serve", replace={"app.py": app}, leaving=gemini_api)
    assert lab.google.chats == []
