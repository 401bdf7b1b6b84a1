"""OPENAI_AGENTS_DISABLE_TRACING=1 by default, wherever the variables go; `--agents-tracing`
leaves it out and `--unset` removes it. (That it keeps the real Agents SDKs from posting the
key to api.openai.com is shown in tests/clients/test_agents.py.)"""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tests import readers
from tests.conftest import cli_env, exported, invoke
from tests.fake_google import FakeGoogle
from vertex_openai_env.output.formats import NAMES as FORMAT_NAMES

NAME = "OPENAI_AGENTS_DISABLE_TRACING"
ARGS = ("--project", "my-proj", "--location", "us-central1", "--model", "gemini-2.5-flash")
FLAGS = pytest.mark.parametrize(
    ("flags", "value"), [([], "1"), (["--agents-tracing"], None)], ids=["default", "opted out"]
)

# How each printed format reads back (github writes its file instead: see below).
READ: dict[str, Callable[[str], dict[str, str]]] = {
    "sh": exported,
    "fish": lambda text: {
        name: value.strip("'")
        for name, value in (line.split(" ", 3)[2:] for line in text.splitlines())
    },
    "powershell": readers.powershell_assignments,
    "cmd": readers.cmd_assignments,
    "dotenv": lambda text: {k: str(v) for k, v in dotenv_values(stream=io.StringIO(text)).items()},
    "docker": readers.docker_env_file,
    "gitlab": readers.gitlab_dotenv,
    "json": lambda text: dict(json.loads(text)["env"]),
}


def test_every_printed_format_is_read_here() -> None:
    assert set(READ) | {"github"} == set(FORMAT_NAMES)


@FLAGS
@pytest.mark.parametrize("fmt", sorted(READ))
def test_every_format_carries_it(
    fmt: str, flags: list[str], value: str | None, google: FakeGoogle, service_account: Path
) -> None:
    result = invoke(*ARGS, *flags, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    values = READ[fmt](result.stdout)
    assert google.valid(values["OPENAI_API_KEY"])  # the reader understood the output
    assert values.get(NAME) == value


@FLAGS
def test_github_actions_and_a_dotenv_file_carry_it(
    flags: list[str],
    value: str | None,
    google: FakeGoogle,
    service_account: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    github_env = tmp_path / "github_env"
    github_env.touch()
    monkeypatch.setenv("GITHUB_ENV", str(github_env))
    assert invoke(*ARGS, *flags, "--format", "github").exit_code == 0
    assert readers.github_env_file(github_env.read_text()).get(NAME) == value
    dotenv = tmp_path / ".env"
    assert invoke(*ARGS, *flags, "--env-file", str(dotenv)).exit_code == 0
    assert dotenv_values(dotenv).get(NAME) == value


@FLAGS
@pytest.mark.parametrize("serve", [[], ["--serve"]], ids=["exec", "exec --serve"])
def test_the_command_of_exec_gets_it(
    serve: list[str],
    flags: list[str],
    value: str | None,
    google: FakeGoogle,
    service_account: Path,
) -> None:
    show = f'printf %s "${{{NAME}-unset}}"'
    child = subprocess.run(
        ["vertex-openai-env", *ARGS, *flags, "exec", *serve, "--", "sh", "-c", show],
        capture_output=True, text=True, env=cli_env(), timeout=60,
    )  # fmt: skip
    assert child.returncode == 0, child.stderr
    assert child.stdout == (value or "unset")


def test_unset_removes_it_from_the_shell_and_from_a_dotenv_file(tmp_path: Path) -> None:
    assert f"unset {NAME}\n" in invoke("--unset", "--format", "sh").stdout
    path = tmp_path / ".env"
    path.write_text(f"A=1\n{NAME}=1\n")
    assert invoke("--env-file", str(path), "--unset").exit_code == 0
    assert dotenv_values(path) == {"A": "1"}


def test_it_is_no_model_variable() -> None:
    result = invoke(*ARGS, "--model-var", NAME)
    assert result.exit_code == 2
    assert "that name is taken" in result.stderr
