"""The shell hook, in real interactive bash, zsh and fish sessions on a terminal."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import cli_env, invoke
from tests.fake_google import FakeGoogle
from tests.shells import interactive

ARGS = ["--project", "my-proj", "--location", "us-central1", "--model", "gemini-2.5-flash"]


def counting_tool(folder: Path) -> Path:
    """A `vertex-openai-env` first on PATH that logs each start, then runs the real one."""
    folder.mkdir()
    shim = folder / "vertex-openai-env"
    real = Path(sys.executable).parent / "vertex-openai-env"
    shim.write_text(f'#!/bin/sh\necho started >> {folder / "starts"}\nexec {real} "$@"\n')
    shim.chmod(0o755)
    return folder / "starts"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_hook_refreshes_near_expiry_and_starts_nothing_before(
    shell: str, google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    # Tokens live 10s; with a 6s margin the hook must refresh about 3s after each export
    # (the shells' clocks count whole seconds).
    google.token_lifetime = 10
    snippet = invoke("hook", shell, *ARGS, "--min-valid", "6s")
    assert snippet.exit_code == 0, snippet.stderr
    starts = counting_tool(tmp_path / "bin")
    env = {**cli_env(), "PATH": f"{tmp_path / 'bin'}:{cli_env()['PATH']}"}
    record = "printf '%s\\n' $OPENAI_API_KEY >> tokens"
    session = tmp_path / "session"
    session.mkdir()
    interactive(shell, snippet.stdout, [record, record, "sleep 4", record], env, session)
    first, second, third = (session / "tokens").read_text().splitlines()
    assert first == second  # a fresh token: the prompt between them started nothing
    assert third != first  # past the margin: re-exported
    assert google.valid(third)
    assert starts.read_text().splitlines() == ["started", "started"]


def test_hook_snippet_names_the_settings_it_was_given() -> None:
    result = invoke("--location", "europe-west4", "hook", "bash", "--model", "gemini-2.5-pro")
    assert result.exit_code == 0, result.stderr
    assert (
        "command vertex-openai-env --format sh --hook-deadline "
        "'--location' 'europe-west4' '--model' 'gemini-2.5-pro'" in result.stdout
    )
    assert 'eval "$(vertex-openai-env hook bash' in result.stdout


def test_hook_refuses_bad_settings_now_rather_than_at_every_prompt() -> None:
    result = invoke("hook", "zsh", "--project", "$(reboot)")
    assert result.exit_code == 2
    assert result.stdout == ""


def test_hook_deadline_is_a_shell_local_variable(google: FakeGoogle, service_account: Path) -> None:
    result = invoke(*ARGS, "--format", "sh", "--hook-deadline", "--min-valid", "10m")
    assert result.exit_code == 0
    last = result.stdout.splitlines()[-1]
    name, seconds = last.split("=")
    assert name == "_vertex_openai_env_refresh_in"
    assert 2990 <= int(seconds) <= 2999  # 3599s of token less the 10m margin
    assert "export _vertex" not in result.stdout
