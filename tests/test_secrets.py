"""No token in any message: every error path runs with a known token and is searched for it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import invoke
from tests.fake_google import FakeGoogle, json_reply, vertex_error

KNOWN = "ya29.KNOWN-" + "s3cr3t" * 8
LOCATION = ("--project", "my-proj", "--location", "us-central1")
CHAT = "/v1beta1/projects/my-proj/locations/us-central1/endpoints/openapi/chat/completions"


def leaks(text: str) -> bool:
    """Whether any 9 characters in a row of the token appear: a prefix of 8 is the most shown."""
    return any(KNOWN[start : start + 9] in text for start in range(len(KNOWN) - 8))


@pytest.fixture
def known(google: FakeGoogle, service_account: Path) -> FakeGoogle:
    google.next_tokens = [KNOWN] * 10
    return google


ENDPOINTS = "/v1/projects/my-proj/locations/us-central1/endpoints"
# name: (a Vertex fault to set up first, or None; the arguments, where API stands for the fake)
SCENARIOS: dict[str, tuple[tuple[str, str] | None, list[str]]] = {
    "verbose export": (None, [*LOCATION, "--model", "m", "--verbose"]),
    "check": (None, ["API", "check", "--model", "m"]),
    "check json": (None, ["API", "check", "--model", "m", "--format", "json"]),
    "probe refused": ((CHAT, "permission"), ["API", "check", "--model", "m", "--probe"]),
    "probe 401": ((CHAT, "unauthenticated"), ["API", "check", "--model", "m", "--probe", "-v"]),
    "endpoints refused": ((ENDPOINTS, "permission"), ["API", "endpoints"]),
    "dedicated lookup refused": (None, ["API", "--endpoint", "404404", "--dedicated"]),
    "env file refused": (None, [*LOCATION, "--model", "m", "--env-file", "TMP/gone/.env"]),
    "github without actions": (None, [*LOCATION, "--model", "m", "--format", "github"]),
    "exec not found": (None, [*LOCATION, "--model", "m", "exec", "--", "no-such-program-x"]),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_no_message_shows_the_token(scenario: str, known: FakeGoogle, tmp_path: Path) -> None:
    fault, template = SCENARIOS[scenario]
    if fault:
        known.fail_next(fault[0], vertex_error(fault[1]))
    args = [part.replace("TMP", str(tmp_path)) for part in template]
    if args[0] == "API":
        args[:1] = [*LOCATION, "--api-endpoint", known.url]
    result = invoke(*args)
    assert known.count("/token") >= 1, "the token was never fetched: the scenario tests nothing"
    assert not leaks(result.stderr)
    if result.exit_code != 0:
        assert result.stdout == ""
    elif "OPENAI_API_KEY" not in result.stdout:
        assert not leaks(result.stdout)


def test_an_internal_error_carrying_the_token_shows_neither(
    known: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vertex_openai_env import pipeline

    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"bad value {KNOWN}")

    monkeypatch.setattr(pipeline, "variables", explode)
    result = invoke(*LOCATION, "--model", "m")
    assert result.exit_code == 1
    assert not leaks(result.stderr + result.stdout)


def test_a_token_endpoint_echoing_secrets_is_not_repeated(
    google: FakeGoogle, service_account: Path
) -> None:
    echo = {"error": "invalid_request", "error_description": f"cannot use {KNOWN} here"}
    google.fail_next("/token", lambda call: json_reply(400, echo))
    result = invoke(*LOCATION, "--model", "m")
    assert result.exit_code == 1
    assert not leaks(result.stderr)


def test_cache_files_are_not_named_for_the_token(known: FakeGoogle) -> None:
    invoke(*LOCATION, "--model", "m")
    folder = Path(os.environ["XDG_RUNTIME_DIR"]) / "vertex-openai-env"
    (entry,) = folder.iterdir()
    assert not leaks(entry.name)
    assert json.loads(entry.read_text())["token"] == KNOWN


def test_the_token_does_not_show_in_its_own_repr(known: FakeGoogle) -> None:
    from vertex_openai_env.deadline import Deadline
    from vertex_openai_env.tokens.registry import fetch
    from vertex_openai_env.tokens.types import TokenRequest

    minted = fetch(TokenRequest(), os.environ, Deadline(10))
    assert minted.token.value == KNOWN
    assert not leaks(repr(minted))
    assert not leaks(str(minted))
