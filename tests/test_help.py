"""Help that helps: -h everywhere, nothing cut short, errors that point at the right page."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import click
import pytest

from tests.conftest import cli_env, invoke
from tests.fake_google import Call, FakeGoogle
from tests.generate import help_page
from tests.terminal import on_a_terminal
from vertex_openai_env.cli import main

ARGS = ("--project", "my-proj", "--location", "us-central1", "--model", "m")
COMMANDS = ["", *main.list_commands(click.Context(main))]


@pytest.mark.parametrize("command", COMMANDS)
def test_dash_h_is_dash_dash_help_everywhere(command: str) -> None:
    words = [command] if command else []
    short, long = invoke(*words, "-h"), invoke(*words, "--help")
    assert short.exit_code == long.exit_code == 0
    assert short.stdout == long.stdout
    assert long.stdout.startswith("Usage: vertex-openai-env")


def test_dash_h_is_served_from_the_page_too() -> None:
    result = subprocess.run(
        ["vertex-openai-env", "-h"], capture_output=True, text=True, env=cli_env(), check=True
    )
    assert result.stdout == help_page()


@pytest.mark.parametrize("width", [80, 60])
@pytest.mark.parametrize("command", COMMANDS)
def test_help_never_cuts_or_splits_a_value(command: str, width: int) -> None:
    words = [command, "--help"] if command else ["--help"]
    text = click.testing.CliRunner().invoke(main, words, terminal_width=width).output
    commands = text.split("Commands:")[-1].split("\n\n")[0] if "Commands:" in text else ""
    assert "..." not in commands  # the command list is whole
    for default in re.findall(r"\[default:[^\]]*", text):
        assert "\n" not in default
    assert not [line for line in text.splitlines() if re.search(r"[a-z]-$", line)]


def test_a_usage_error_in_a_command_points_to_that_commands_help() -> None:
    result = invoke("check", "--probee")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == "  fix: vertex-openai-env check --help"


def slow(call: Call) -> None:
    time.sleep(1.5)  # then the usual answer


def test_a_slow_step_says_what_it_waits_for_on_a_terminal_only(
    google: FakeGoogle, service_account: Path
) -> None:
    google.fail_next("/token", slow, slow)
    shown, _ = on_a_terminal([*ARGS, "--format", "sh"])
    assert f"vertex-openai-env: waiting for {google.url}/token..." in shown
    quiet = subprocess.run(
        ["vertex-openai-env", *ARGS, "--format", "sh", "--no-cache"],
        capture_output=True, text=True, env=cli_env(),
    )  # fmt: skip
    assert quiet.returncode == 0
    assert quiet.stderr == ""


def test_env_file_says_what_it_set_on_a_terminal_only(
    google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    dotenv = tmp_path / ".env"
    shown, _ = on_a_terminal([*ARGS, "--env-file", str(dotenv)])
    assert (
        "vertex-openai-env: set OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL, OPENAI_DEFAULT_MODEL, "
        f"OPENAI_CHAT_MODEL_ID, VERTEX_OPENAI_TOKEN_EXPIRES_AT, OPENAI_API_BASE, OPENAI_AGENTS_DISABLE_TRACING in {dotenv}"
    ) in shown.replace("\r\n", "\n")
    assert "ya29" not in shown
    quiet = invoke(*ARGS, "--env-file", str(dotenv))
    assert quiet.stderr == ""


@pytest.mark.parametrize(("words", "same_as"), [
    (["-V"], ["--version"]),
    (["version"], ["--version"]),
    (["help"], ["--help"]),
    (["help", "serve"], ["serve", "--help"]),
    (["help", "check"], ["check", "--help"]),
])  # fmt: skip
def test_the_words_people_type_for_help_and_version_work(
    words: list[str], same_as: list[str]
) -> None:
    result, expected = invoke(*words), invoke(*same_as)
    assert result.exit_code == expected.exit_code == 0, result.stderr
    assert result.stdout == expected.stdout


def test_help_alone_is_served_from_the_page_too() -> None:
    result = subprocess.run(
        ["vertex-openai-env", "help"], capture_output=True, text=True, env=cli_env(), check=True
    )
    assert result.stdout == help_page()


def test_help_for_no_such_command_says_so() -> None:
    result = invoke("help", "serv\u0435")  # a Cyrillic e, shown escaped
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        'vertex-openai-env: error: no command "serv\\u0435"',
        "  fix: vertex-openai-env --help",
    ]


def headings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.endswith(":") and not line[0].isspace()]


def test_help_lists_the_commands_first_then_the_options_by_purpose() -> None:
    page = help_page()
    assert headings(page) == [
        "Commands:", "Where requests go:", "Token:", "Variables:", "Output:", "Other options:"
    ]  # fmt: skip
    assert page.index("Commands:") < page.index("\n  --project")
    assert page.splitlines()[-1].strip().startswith("-h, --help")


def test_a_commands_own_options_come_first_on_its_page() -> None:
    page = invoke("serve", "--help").stdout
    assert headings(page)[:2] == ["Options of serve:", "Where requests go:"]
    own = page.split("Options of serve:")[1].split("Where requests go:")[0]
    for option in ("--port", "--bind", "--key-file", "--upstream-timeout", "--alias"):
        assert option in own
    assert "--project" not in own
