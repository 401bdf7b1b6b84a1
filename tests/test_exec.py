"""`exec`: the command runs with the variables, as the same process, with its own status."""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import cli_env, invoke
from tests.fake_google import FakeGoogle
from vertex_openai_env.live.runner import child_environment

ARGS = ["vertex-openai-env", "--project", "my-proj", "--location", "us-central1"]
# What is said of the command holds for `exec --serve` as well, where the tool stays.
SERVE = pytest.mark.parametrize("serve", [[], ["--serve"]], ids=["exec", "exec --serve"])


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ARGS, *args], capture_output=True, text=True, env=cli_env(), timeout=60, check=False
    )


def test_the_command_sees_the_variables_and_its_output_is_all(
    google: FakeGoogle, service_account: Path
) -> None:
    result = run(
        "--model",
        "gemini-2.5-flash",
        "exec",
        "--",
        "sh",
        "-c",
        'echo "$OPENAI_API_KEY $OPENAI_MODEL"',
    )
    assert result.returncode == 0, result.stderr
    token, model = result.stdout.split()
    assert google.valid(token)
    assert model == "google/gemini-2.5-flash"


@SERVE
def test_the_exit_status_is_the_commands(
    serve: list[str], google: FakeGoogle, service_account: Path
) -> None:
    assert run("--model", "m", "exec", *serve, "--", "sh", "-c", "exit 7").returncode == 7


@SERVE
def test_a_command_killed_by_a_signal_kills_the_tool_alike(
    serve: list[str], google: FakeGoogle, service_account: Path
) -> None:
    """Plain exec becomes the command; with --serve the tool stays, holding the gateway."""
    child = subprocess.Popen(
        [*ARGS, "--model", "m", "exec", *serve, "--", "sh", "-c", "echo $$; kill -TERM $$"],
        stdout=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    out, _ = child.communicate(timeout=60)
    assert (int(out) == child.pid) is (not serve)
    assert child.returncode == -signal.SIGTERM


def test_settings_may_follow_the_command_name(google: FakeGoogle, service_account: Path) -> None:
    result = run("exec", "--model", "gemini-2.5-pro", "--no-model-var", "--", "env")
    assert result.returncode == 0, result.stderr
    assert "OPENAI_MODEL=" not in result.stdout
    assert "/endpoints/openapi" in result.stdout


@SERVE
@pytest.mark.parametrize(("command", "status", "message"), [
    ("no-such-command-here", 127, "command not found: no-such-command-here"),
    ("/etc/hostname", 126, "cannot run /etc/hostname"),
])  # fmt: skip
def test_a_command_that_cannot_start_is_reported(
    serve: list[str],
    command: str,
    status: int,
    message: str,
    google: FakeGoogle,
    service_account: Path,
) -> None:
    result = run("--model", "m", "exec", *serve, "--", command)
    assert result.returncode == status
    assert result.stdout == ""
    assert message in result.stderr
    reason = (
        r"(: (?!None$)[A-Z][a-z ]+)?"  # what the system said, when it said more than "not found"
    )
    assert re.fullmatch(f"vertex-openai-env: error: {message}{reason}\n", result.stderr)
    assert (status == 126) == ("cannot run /etc/hostname: " in result.stderr)


def test_export_options_do_not_mix_with_commands() -> None:
    result = invoke("--format", "json", "--model", "m", "exec", "--", "true")
    assert result.exit_code == 2
    assert "--format applies to printing the variables, not to commands" in result.stderr


def test_failing_settings_run_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    result = run("--model", "$(bad)", "exec", "--", "touch", str(marker))
    assert result.returncode == 2
    assert not marker.exists()


def test_the_child_environment_drops_a_stale_api_base_only() -> None:
    base = "OPENAI_API_BASE"
    assert child_environment({"PATH": "/bin"}, {"OPENAI_API_KEY": "k"}) == {
        "PATH": "/bin",
        "OPENAI_API_KEY": "k",
    }
    assert child_environment({base: "stale", "A": "1"}, {"OPENAI_API_KEY": "k"}) == {
        "A": "1",
        "OPENAI_API_KEY": "k",
    }
    assert child_environment({base: "stale"}, {base: "new"}) == {base: "new"}
