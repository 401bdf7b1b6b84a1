"""The command-line surface: variables, --verbose, and the error contract (stdout empty on failure)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import cli_env, exported, invoke, run, write_gcloud_config
from tests.fake_google import FakeGoogle
from tests.terminal import on_a_terminal

ARGS = ("--project", "my-proj", "--location", "us-central1")


def test_exports_key_url_model_and_expiry(google: FakeGoogle, service_account: Path) -> None:
    result = invoke(*ARGS, "--model", "gemini-2.5-flash")
    assert result.exit_code == 0
    assert list(exported(result.stdout)) == [
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_MODEL",
        "OPENAI_DEFAULT_MODEL",  # the Agents SDKs' model when the code names none
        "OPENAI_CHAT_MODEL_ID",  # Semantic Kernel's
        "VERTEX_OPENAI_TOKEN_EXPIRES_AT",
        "OPENAI_API_BASE",  # LangChain reads it before OPENAI_BASE_URL: never stale
        "OPENAI_AGENTS_DISABLE_TRACING",  # else the Agents SDK sends the token to OpenAI
    ]
    assert result.stderr == ""


def test_model_variable_can_be_renamed_or_dropped(
    google: FakeGoogle, service_account: Path
) -> None:
    renamed = exported(
        invoke(*ARGS, "--model", "gemini-2.5-pro", "--model-var", "LLM_MODEL").stdout
    )
    assert renamed["LLM_MODEL"] == "google/gemini-2.5-pro"
    assert "OPENAI_MODEL" not in renamed
    dropped = exported(invoke(*ARGS, "--model", "gemini-2.5-pro", "--no-model-var").stdout)
    assert not {"OPENAI_MODEL", "LLM_MODEL"} & set(dropped)


@pytest.mark.parametrize("name", ["1BAD", "A-B", "OPENAI_API_KEY", "$(id)"])
def test_bad_model_variable_names_are_refused(name: str) -> None:
    result = invoke(*ARGS, "--model", "m", "--model-var", name)
    assert result.exit_code == 2
    assert result.stdout == ""


def test_endpoints_export_no_model(google: FakeGoogle, service_account: Path) -> None:
    values = exported(invoke(*ARGS, "--endpoint", "42").stdout)
    assert "OPENAI_MODEL" not in values
    assert values["OPENAI_BASE_URL"].endswith("/endpoints/42")


def test_openai_api_base_mirrors_the_base_url(google: FakeGoogle, service_account: Path) -> None:
    values = exported(invoke(*ARGS, "--model", "m", "--openai-api-base").stdout)
    assert values["OPENAI_API_BASE"] == values["OPENAI_BASE_URL"]


def test_verbose_says_where_each_setting_came_from_and_hides_the_token(
    google: FakeGoogle, service_account: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_gcloud_config(Path(os.environ["CLOUDSDK_CONFIG"]), {"ai": {"region": "europe-west4"}})
    monkeypatch.setenv("VERTEX_OPENAI_ENV_MODEL", "gemini-2.5-flash")
    result = invoke("--verbose", "--api-version", "v1")
    assert result.exit_code == 0, result.stderr
    token = exported(result.stdout)["OPENAI_API_KEY"]
    lines = result.stderr.splitlines()
    for expected in (
        "vertex-openai-env: project: demo-project (from the credentials)",
        "vertex-openai-env: location: europe-west4 (from gcloud config ai/region)",
        "vertex-openai-env: model: google/gemini-2.5-flash (from $VERTEX_OPENAI_ENV_MODEL)",
        "vertex-openai-env: API version: v1 (from --api-version)",
        f"vertex-openai-env: credentials: service account key {google.sa_email} "
        f"(from $GOOGLE_APPLICATION_CREDENTIALS ({service_account}))",
    ):
        assert expected in lines
    assert token not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--projct", "x"], "Did you mean one of: '--project'"),
        (["--format", "yaml"], "Invalid value for '--format'"),
        (["--timeout", "0"], "Invalid value for '--timeout'"),
        (["--model", "m", "--endpoint", "1"], "--model and --endpoint exclude each other"),
        ([], "no target"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    first, *rest = result.stderr.splitlines()
    assert first.startswith("vertex-openai-env: error: ")
    assert message in first
    assert len(rest) <= 1
    assert all(line.startswith("  fix: ") for line in rest)


def test_control_characters_cannot_reach_the_terminal() -> None:
    result = invoke("--project", "\x1b]0;pwned\x07my-proj", "--model", "m")
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr
    assert "\x07" not in result.stderr


def test_unexpected_failures_show_no_traceback_and_no_message(
    google: FakeGoogle, service_account: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vertex_openai_env import pipeline

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("ya29.secret-in-a-message")

    monkeypatch.setattr(pipeline, "variables", explode)
    result = invoke(*ARGS, "--model", "m")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "internal error (RuntimeError)" in result.stderr
    assert "ya29.secret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_python_dash_m_and_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("vertex-openai-env, version ")


def test_verbose_says_whether_the_token_came_from_the_cache(
    google: FakeGoogle, service_account: Path
) -> None:
    first = invoke(*ARGS, "--model", "m", "-v").stderr
    assert "vertex-openai-env: token: fetched from $GOOGLE_APPLICATION_CREDENTIALS (" in first
    second = invoke(*ARGS, "--model", "m", "-v").stderr
    assert re.search(r"vertex-openai-env: token: from the cache \(59m\d*s? left\)", second)
    fresh = invoke(*ARGS, "--model", "m", "-v", "--no-cache").stderr
    assert "(a fresh one, not cached)" in fresh


@pytest.mark.parametrize(
    ("fmt", "hint"),
    [
        ("sh", 'run eval "$(vertex-openai-env ...)" to set them'),
        ("fish", "run vertex-openai-env ... | source to set them"),
        ("json", "this holds a live token"),
    ],
)
def test_a_token_shown_on_a_terminal_comes_with_how_to_set_it(
    fmt: str, hint: str, service_account: Path, google: FakeGoogle
) -> None:
    shown, stderr = on_a_terminal([*ARGS, "--model", "m", "--format", fmt], "stdout")
    assert "OPENAI_API_KEY" in shown
    (line,) = stderr.splitlines()
    assert line.startswith("vertex-openai-env: note: ")
    assert hint in line


def test_no_hint_when_the_output_goes_to_a_shell(service_account: Path, google: FakeGoogle) -> None:
    result = subprocess.run(
        ["vertex-openai-env", *ARGS, "--model", "m", "--format", "sh"],
        capture_output=True, text=True, env=cli_env(), timeout=60,
    )  # fmt: skip
    assert result.returncode == 0
    assert result.stderr == ""


COMMAND_LINES = {
    "exec": ["exec", "--", "true"],
    "hook": ["hook", "bash"],
    "endpoints": ["endpoints"],
    "check": ["check"],
    "completion": ["completion", "bash"],
    "serve": ["serve"],
    "help": ["help"],
    "version": ["version"],
}


@pytest.mark.parametrize("command", sorted(COMMAND_LINES))
def test_every_command_refuses_an_option_before_its_name_that_it_does_not_take(
    command: str,
) -> None:
    result = invoke("--unset", *COMMAND_LINES[command])
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    assert "--unset applies to printing the variables, not to commands" in result.stderr


def test_the_command_lines_above_name_every_command() -> None:
    from vertex_openai_env.cli import ALIASES, COMMANDS

    assert set(COMMAND_LINES) == {*COMMANDS, *ALIASES}
