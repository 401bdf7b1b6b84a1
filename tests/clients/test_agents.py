"""The OpenAI Agents SDKs, Python and JS, on Chat Completions, with and without `model=`, in
both modes; and the proof that their traces (and the key with them) stay home."""

from __future__ import annotations

import pytest

from tests.clients.recipes import QUOTA_PROJECT, REPLY, Lab

pytestmark = pytest.mark.clients

MODES = pytest.mark.parametrize("serve", [False, True], ids=["eval", "exec --serve"])
RECIPES = ["agents-sdk", "agents-sdk-default-model", "agents-js", "agents-js-default-model"]
TRACES = "api.openai.com:443"  # where both SDKs post traces, with OPENAI_API_KEY as bearer
PLACE = "--project my-proj --location us-central1 --model gemini-2.5-flash"


def prepare(lab: Lab, name: str) -> None:
    if "-js" in name:
        lab.node_modules()


@MODES
@pytest.mark.parametrize("name", RECIPES)
def test_an_agent_on_chat_completions_reaches_vertex(name: str, serve: bool, lab: Lab) -> None:
    prepare(lab, name)
    recipes = [name, f"{name}-serve"] if serve else [name]
    assert lab.run(*recipes).endswith(f"{REPLY}\n")
    lab.check(quota=QUOTA_PROJECT)


@MODES
@pytest.mark.parametrize(
    ("name", "program"), [("agents-sdk", "python app.py"), ("agents-js", "node app.mjs")]
)
def test_traces_go_to_openai_with_the_key_unless_the_variable_says_no(
    name: str, program: str, serve: bool, lab: Lab
) -> None:
    """--agents-tracing leaves the variable out: the spy then sees the SDK post its traces
    (the recipe itself, run by the test above, lets nothing out)."""
    prepare(lab, name)
    gateway = "--serve " if serve else ""
    script = f"vertex-openai-env {PLACE} --agents-tracing exec {gateway}-- {program}\n"
    assert lab.run(name, replace={"run.sh": script}, leaving=[TRACES]).endswith(f"{REPLY}\n")
