"""The README's openai-python recipes, sync and async, from an `eval` or a provider line."""

from __future__ import annotations

import pytest

from tests.clients.recipes import REPLY, Lab


@pytest.mark.parametrize(
    "name",
    [
        "openai-python",
        "openai-python-async",
        "openai-python-provider",
        "openai-python-async-provider",
    ],
)
def test_openai_python_reaches_vertex_with_the_quota_header(name: str, lab: Lab) -> None:
    assert lab.run(name) == f"{REPLY}\n"
    lab.check()


def test_openai_python_through_the_gateway(lab: Lab) -> None:
    assert lab.run("openai-python", "openai-python-serve") == f"{REPLY}\n"
    lab.check()
