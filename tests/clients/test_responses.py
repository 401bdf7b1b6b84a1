"""Recipes that speak only the Responses API (`POST …/responses`), which Vertex AI does not
serve: they run under `exec --serve` alone, the gateway translating `/v1/responses` to Chat
Completions (marked `responses` too: `pytest -m responses` runs just them)."""

from __future__ import annotations

import pytest

from tests.clients.recipes import QUOTA_PROJECT, REPLY, Lab

pytestmark = [pytest.mark.clients, pytest.mark.responses]


@pytest.mark.parametrize(
    ("name", "node"),
    [
        ("openai-responses", False),  # client.responses.create
        ("pydantic-ai-responses", False),  # Agent("openai-responses:…")
        ("agents-sdk-responses", False),  # the Agents SDK's default model
        ("agents-js-responses", True),
        ("ai-sdk-responses", True),  # the AI SDK's openai(model)
        ("langchain-js-responses", True),  # useResponsesApi: true
        ("langchain-responses", False),  # use_responses_api=True
    ],
)
def test_a_responses_client_reaches_vertex_through_the_gateway(
    name: str, node: bool, lab: Lab
) -> None:
    if node:
        lab.node_modules()
    assert lab.run(name).endswith(f"{REPLY}\n")
    lab.check(quota=QUOTA_PROJECT)
