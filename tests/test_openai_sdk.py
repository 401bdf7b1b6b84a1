"""The real OpenAI SDK, configured only by the exported variables, calls the Vertex stand-in."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import cli_env, require
from tests.fake_google import FakeGoogle

CHAT = """
import os
from openai import OpenAI
reply = OpenAI().chat.completions.create(
    model=os.environ.get("OPENAI_MODEL", "default"),
    messages=[{"role": "user", "content": "hi"}],
)
print(reply.choices[0].message.content)
"""


@pytest.mark.parametrize(
    ("target", "path_end", "model"),
    [
        (
            ["--model", "gemini-2.5-flash"],
            "endpoints/openapi/chat/completions",
            "google/gemini-2.5-flash",
        ),
        (["--endpoint", "1234567890"], "endpoints/1234567890/chat/completions", "default"),
    ],
)
def test_the_sdk_reaches_vertex_with_the_exported_token(
    target: list[str], path_end: str, model: str, google: FakeGoogle, service_account: Path
) -> None:
    bash = require("bash")
    args = " ".join(
        ["--project my-proj --location us-central1", *target, "--api-endpoint", google.url]
    )
    script = f"set -e; eval \"$(vertex-openai-env {args})\"; python -c '{CHAT}'"
    result = subprocess.run(
        [bash, "-c", script], capture_output=True, text=True, env=cli_env(), timeout=60
    )
    assert result.returncode == 0, result.stderr
    (chat,) = google.chats
    assert chat.path == f"/v1beta1/projects/my-proj/locations/us-central1/{path_end}"
    assert google.valid(chat.bearer)
    assert chat.json()["model"] == model
    assert result.stdout.startswith("Hello from")
