"""The README's recipes for LangChain, LiteLLM, openai-node, llm and aider, each run by the
real client (`make test-clients` installs them; CI fails when one is missing)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.clients.recipes import (
    AIDER_BIN,
    QUOTA_PROJECT,
    REPLY,
    Lab,
    without_proxies,
)
from tests.conftest import require

pytestmark = pytest.mark.clients
# A recipe after an eval, or with its -serve script: through the gateway.
MODES = pytest.mark.parametrize("serve", [[], ["-serve"]], ids=["eval", "exec --serve"])

HEADLESS_AIDER = {  # flags as aider's own AIDER_* variables: no prompts, no git, no phoning home
    "AIDER_YES_ALWAYS": "true",
    "AIDER_GIT": "false",
    "AIDER_CHECK_UPDATE": "false",
    "AIDER_ANALYTICS_DISABLE": "true",
    "AIDER_SHOW_RELEASE_NOTES": "false",
    "AIDER_SHOW_MODEL_WARNINGS": "false",
    "AIDER_PRETTY": "false",
}


@pytest.mark.parametrize(
    ("name", "module", "calls"),
    [
        ("langchain", "langchain_openai", 2),  # invoke and ainvoke, from the exported variables
        ("langchain-provider", "langchain_openai", 2),  # the same with a token provider
        ("langchain-async-provider", "langchain_openai", 1),  # awaits an async provider
        ("litellm", "litellm", 1),  # completion(), the model with the openai/ prefix
    ],
)
def test_a_python_client_recipe_reaches_vertex_with_the_quota_header(
    name: str, module: str, calls: int, lab: Lab
) -> None:
    require_module(module)
    assert lab.run(name) == f"{REPLY}\n" * calls
    lab.check(calls=calls)


@pytest.mark.parametrize(
    ("name", "module", "calls"), [("langchain", "langchain_openai", 2), ("litellm", "litellm", 1)]
)
def test_a_python_client_recipe_through_the_gateway(
    name: str, module: str, calls: int, lab: Lab
) -> None:
    require_module(module)
    assert lab.run(name, f"{name}-serve") == f"{REPLY}\n" * calls
    lab.check(calls=calls)


@MODES
def test_openai_node_from_the_exported_variables(serve: list[str], lab: Lab) -> None:
    require_in(lab, "npm")
    require_in(lab, "node")
    without_proxies(lab.env)  # npm's own way to its registry (node's fetch ignores proxies)
    assert lab.run("openai-node", *(f"openai-node{m}" for m in serve)).endswith(
        f"{REPLY}\n"
    )  # after npm's own lines
    lab.check()


@MODES
def test_llm_with_its_two_line_model_file(serve: list[str], lab: Lab) -> None:
    require_in(lab, "llm")
    lab.env["LLM_USER_PATH"] = str(lab.folder)  # where the recipe's yaml file is written
    assert lab.run("llm", *(f"llm{m}" for m in serve)) == f"{REPLY}\n"
    lab.check(stream=True)


@pytest.mark.parametrize(
    ("recipes", "quota"),
    [
        (["aider"], None),
        (["aider", "aider-quota"], QUOTA_PROJECT),
        (["aider", "aider-serve"], QUOTA_PROJECT),  # the gateway sends it
    ],
)
def test_aider_with_its_model_variable(recipes: list[str], quota: str | None, lab: Lab) -> None:
    """aider's OpenAI SDK ignores OPENAI_CUSTOM_HEADERS: the quota project needs its file."""
    require_in(lab, "aider", AIDER_BIN)
    lab.env.update(HEADLESS_AIDER)
    prices = Path(lab.env["HOME"]) / ".aider" / "caches" / "model_prices_and_context_window.json"
    prices.parent.mkdir(parents=True)
    prices.write_text(json.dumps({"seeded": {}}))  # else aider fetches LiteLLM's price list
    assert REPLY in lab.run(*recipes)
    lab.check(quota=quota, stream=True)


def require_in(lab: Lab, program: str, folder: Path | None = None) -> None:
    """`program` on the lab's PATH, with `folder` after the project's own programs when it
    holds it; otherwise skipped, or in CI failed, as `require` does."""
    if folder is not None and (folder / program).exists():
        first, _, rest = lab.env["PATH"].partition(os.pathsep)
        lab.env["PATH"] = os.pathsep.join([first, str(folder), rest])
    if not shutil.which(program, path=lab.env["PATH"]):
        require(program)


def require_module(name: str) -> None:
    """A Python package the recipe imports, installed by `make test-clients`."""
    if importlib.util.find_spec(name) is None:
        require(f"python module {name}")
