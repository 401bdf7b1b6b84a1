"""Documented recipes, and what running one needs: credentials, a sealed environment, a check.

A recipe is the fenced blocks the README or a page under `docs/` marks
`<!-- recipe NAME FILE -->`: the tests write each block to FILE in a temporary folder and
run `run.sh` there with bash (or `app.py` with Python when the recipe has no shell part),
byte for byte as the page shows them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import cli_env, closed_port, require
from tests.fake_google import FakeGoogle

_PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
ROOT = Path(__file__).parents[2]
_BLOCK = re.compile(
    r"^<!-- recipe (?P<name>[\w-]+) (?P<file>[\w.-]+) -->\n```[\w-]*\n(?P<text>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)
QUOTA_PROJECT = "my-quota-proj"  # as in the README's aider recipe
REPLY = "Hello from google/gemini-2.5-flash in my-proj/us-central1"
CHAT_PATH = "/v1beta1/projects/my-proj/locations/us-central1/endpoints/openapi/chat/completions"
# Where `make test-clients` puts aider: it pins its own openai and litellm, so it gets a venv.
AIDER_BIN = Path(__file__).parents[2] / ".venv-aider" / "bin"


def pages() -> list[Path]:
    """Where recipes are written: the README and every page of the docs site."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def recipe(name: str) -> dict[str, str]:
    """The files of the documented recipe `name`: {FILE: text}."""
    files = {
        m["file"]: m["text"]
        for page in pages()
        for m in _BLOCK.finditer(page.read_text(encoding="utf-8"))
        if m["name"] == name
    }
    assert files, f"no page documents the recipe {name}"
    return files


def without_proxies(env: dict[str, str]) -> None:
    """For npm, which must reach its registry (node's own fetch ignores proxy variables)."""
    for name in _PROXIES:
        env.pop(name, None)
        env.pop(name.lower(), None)


def offline_env(google: FakeGoogle) -> dict[str, str]:
    """The environment a recipe runs in: what a user's shell might hold, and no way out.

    - the stand-in's root in place of Google's host (the variable form of --api-endpoint,
      so that the README's command lines run unchanged);
    - a stale OPENAI_API_BASE, as an old export leaves behind: the recipe must override it;
    - every HTTP proxy set to a closed loopback port, so a client that phones home (model
      price lists, update checks) fails at once on this machine instead of going out.
    """
    nowhere = f"http://127.0.0.1:{closed_port()}"
    proxies = dict.fromkeys(_PROXIES, nowhere)
    return {
        **cli_env(),
        "VERTEX_OPENAI_ENV_API_ENDPOINT": google.url,
        "OPENAI_API_BASE": f"{nowhere}/stale/v1",
        **proxies,
        **{name.lower(): value for name, value in proxies.items()},
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # LiteLLM fetches its price list otherwise
        "npm_config_update_notifier": "false",
        "npm_config_fund": "false",
        "npm_config_audit": "false",
    }


@dataclass
class Lab:
    """A temporary folder to run recipes in, its environment, and the stand-in they call."""

    google: FakeGoogle
    folder: Path
    env: dict[str, str]

    def run(self, *names: str) -> str:
        """Write the recipes' files into the folder, run them there, return what they printed."""
        files = {file: text for name in names for file, text in recipe(name).items()}
        for file, text in files.items():
            (self.folder / file).write_text(text)
        program = [require("bash"), "run.sh"] if "run.sh" in files else [sys.executable, "app.py"]
        result = subprocess.run(
            program, cwd=self.folder, env=self.env, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert result.returncode == 0, f"{names} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def check(
        self, calls: int = 1, quota: str | None = QUOTA_PROJECT, stream: bool = False
    ) -> None:
        """`calls` chat calls, each to the right URL with a token the stand-in issued, for
        the model, with `x-goog-user-project` exactly when there is a quota project, and
        asking for a stream (which the stand-in sends as Vertex does) exactly when `stream`."""
        assert len(self.google.chats) == calls
        for chat in self.google.chats:
            assert chat.path == CHAT_PATH
            assert self.google.valid(chat.bearer)
            assert chat.json()["model"] == "google/gemini-2.5-flash"
            assert chat.headers.get("x-goog-user-project") == quota
            assert bool(chat.json().get("stream")) is stream
