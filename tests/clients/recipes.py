"""Documented recipes, and what running one needs: credentials, a sealed environment, a check.

A recipe is the fenced blocks the README or a page under `docs/` marks
`<!-- recipe NAME FILE -->`: the tests write each block to FILE in a temporary folder and
run `run.sh` there with bash (or `app.py` with Python when the recipe has no shell part),
byte for byte as the page shows them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.clients.spy import PROXIES, Spy
from tests.conftest import cli_env, closed_port, require
from tests.fake_google import Call, FakeGoogle, Json, Reply, json_reply

ROOT = Path(__file__).parents[2]
_BLOCK = re.compile(
    r"^<!-- recipe (?P<name>[\w-]+) (?P<file>[\w.-]+) -->\n```[\w-]*\n(?P<text>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)
QUOTA_PROJECT = "my-quota-proj"  # as in the README's aider recipe
REPLY = "Hello from google/gemini-2.5-flash in my-proj/us-central1"
CHAT_PATH = "/v1beta1/projects/my-proj/locations/us-central1/endpoints/openapi/chat/completions"
# Where `make test-clients` puts aider: it pins its own openai and litellm, so it gets a venv.
AIDER_BIN = ROOT / ".venv-aider" / "bin"
# Where it puts llama-index and instructor, which pin an older OpenAI SDK or jiter.
OPENAI2_BIN = ROOT / ".venv-openai2" / "bin"
# Where it installs the npm clients (tests/clients/node/package-lock.json).
NODE_MODULES = ROOT / "tests" / "clients" / "node" / "node_modules"


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
    for name in PROXIES:
        env.pop(name, None)
        env.pop(name.lower(), None)


def offline_env(google: FakeGoogle, spy: Spy) -> dict[str, str]:
    """The environment a recipe runs in: what a user's shell might hold, and no way out.

    - the stand-in's root in place of Google's host (the variable form of --api-endpoint,
      so that the documents' command lines run unchanged);
    - a stale OPENAI_API_BASE, as an old export leaves behind: the recipe must override it;
    - every way out through the spy, which records and refuses it (see spy.py).
    """
    return {
        **cli_env(),
        "VERTEX_OPENAI_ENV_API_ENDPOINT": google.url,
        "OPENAI_API_BASE": f"http://127.0.0.1:{closed_port()}/stale/v1",
        **spy.env(),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # LiteLLM fetches its price list otherwise
        "npm_config_update_notifier": "false",
        "npm_config_fund": "false",
        "npm_config_audit": "false",
    }


def answer(google: FakeGoogle, content: str | None = None, arguments: Json | None = None) -> None:
    """The stand-in's next chat answer: `content`, or a call of the request's first tool
    with `arguments` (as a client that wants structured output asks for); still only for a
    token it issued (the stand-in records it in `google.chats` either way)."""

    def reply(call: Call) -> Reply:
        if not google.valid(call.bearer):
            return json_reply(401, {"error": {"code": 401, "message": "invalid token"}})
        message: Json = {"role": "assistant", "content": content}
        if arguments is not None:
            name = call.json()["tools"][0]["function"]["name"]
            function = {"name": name, "arguments": json.dumps(arguments)}
            message["tool_calls"] = [{"id": "call-1", "type": "function", "function": function}]
        finish = "stop" if arguments is None else "tool_calls"
        return json_reply(200, {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 0,
            "model": call.json()["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 7, "total_tokens": 10},
        })  # fmt: skip

    google.fail_next(CHAT_PATH, reply)


@dataclass
class Lab:
    """A temporary folder to run recipes in, its environment, and the stand-in they call."""

    google: FakeGoogle
    folder: Path
    env: dict[str, str]
    spy: Spy

    def run(
        self, *names: str, replace: Mapping[str, str] | None = None, leaving: Sequence[str] = ()
    ) -> str:
        """Write the recipes' files into the folder (a later name's file replaces an earlier
        one's, and `replace` {FILE: text} any of them), run them there, and return what they
        printed. The spy must have seen exactly the hosts `leaving` (`host:port`): none
        unless a test shows what a flag or a missing setting lets out."""
        result = self.attempt(*names, replace=replace)
        assert result.returncode == 0, f"{names} failed:\n{result.stdout}\n{result.stderr}"
        assert sorted(set(self.spy.hosts())) == sorted(leaving), f"{names} reached beyond loopback"
        return result.stdout

    def attempt(
        self, *names: str, replace: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`run` for a recipe that may fail: how it ended, whatever the spy saw."""
        files = {file: text for name in names for file, text in recipe(name).items()}
        files.update(replace or {})
        for file, text in files.items():
            (self.folder / file).write_text(text)
        program = [require("bash"), "run.sh"] if "run.sh" in files else [sys.executable, "app.py"]
        return subprocess.run(
            program, cwd=self.folder, env=self.env, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip

    def first_on_path(self, folder: Path) -> None:
        """Run `python` (and the rest) from `folder`, a venv of its own, before the project's;
        `vertex-openai-env` still comes from the project's."""
        if not (folder / "python").exists():
            require(f"the clients' venv {folder.parent.name} (make clients)")
        self.env["PATH"] = f"{folder}{os.pathsep}{self.env['PATH']}"

    def node_modules(self) -> None:
        """The npm clients, installed once (make clients), where node looks for them."""
        if not NODE_MODULES.is_dir():
            require("the npm clients (make clients)")
        (self.folder / "node_modules").symlink_to(NODE_MODULES)

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
