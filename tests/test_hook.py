"""The shell hook: real bash, zsh and fish run the snippet, on a terminal where it matters."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import cli_env, exported, invoke, require
from tests.fake_google import FakeGoogle
from tests.shells import interactive

ARGS = ["--project", "my-proj", "--location", "us-central1", "--model", "gemini-2.5-flash"]
SHELLS = ["bash", "zsh", "fish"]


def refresh_args(shell: str) -> list[str]:
    """How the snippet starts the tool, before the options it was given: nothing said yet."""
    return ["hook", shell, "--refresh", "--said", ""]


def stand_in(folder: Path, body: str) -> Path:
    """A `vertex-openai-env` first on PATH running `body`; each start logs its arguments."""
    folder.mkdir(exist_ok=True)
    log = folder / "starts"
    tool = folder / "vertex-openai-env"
    tool.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" '--' >> {log}\n{body}\n")
    tool.chmod(0o755)
    return log


def refreshed(shell: str) -> str:
    """What a successful refresh prints, at its simplest: only the next deadline."""
    if shell == "fish":
        return "echo set -g _vertex_openai_env_refresh_in 100"
    return "echo _vertex_openai_env_refresh_in=100"


def starts(log: Path) -> list[list[str]]:
    """The argument lists of each start the stand-in logged."""
    runs = log.read_text().split("--\n") if log.exists() else [""]
    return [run.splitlines() for run in runs[:-1]]


def in_shell(shell: str, snippet: str, lines: list[str], folder: Path) -> str:
    """Load `snippet` in a non-interactive `shell`, run `lines`, return its stdout."""
    program = require(shell)
    (folder / "snippet").write_text(snippet)
    load = "source" if shell == "fish" else "."
    env = {**cli_env(), "PATH": f"{folder / 'bin'}:{cli_env()['PATH']}"}
    script = "\n".join([f"{load} {folder / 'snippet'}", *lines])
    result = subprocess.run(
        [program, "-c", script], capture_output=True, text=True, env=env, cwd=folder, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def snippet_for(shell: str, *args: str) -> str:
    result = invoke("hook", shell, *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("shell", SHELLS)
def test_the_hook_reruns_the_tool_with_exactly_the_options_it_was_given(
    shell: str, tmp_path: Path
) -> None:
    log = stand_in(tmp_path / "bin", refreshed(shell))
    given = ["--location", "europe-west4", "--model", "gemini-2.5-pro", "--min-valid", " 7m\n"]
    snippet = invoke("--project", "my-proj", "hook", shell, *given).stdout
    in_shell(shell, snippet, ["_vertex_openai_env_hook"], tmp_path)
    (run,) = starts(log)
    assert run == [
        "hook", shell, "--refresh", "--said", "", "--project", "my-proj", *given[:-1], " 7m", ""
    ]  # fmt: skip


@pytest.mark.parametrize("shell", SHELLS)
def test_a_fresh_token_starts_nothing_and_a_failed_refresh_waits_a_minute(
    shell: str, tmp_path: Path
) -> None:
    log = stand_in(tmp_path / "bin", "exit 1")  # every refresh fails
    snippet = snippet_for(shell, *ARGS)
    if shell == "fish":
        # fish's clock cannot be moved: read the next attempt's time instead.
        now = "(math (path mtime /) + (path mtime --relative /))"
        lines = [
            "_vertex_openai_env_hook",
            "_vertex_openai_env_hook",
            f"math $_vertex_openai_env_due - {now}",
        ]
        out = in_shell(shell, snippet, lines, tmp_path)
        assert 58 <= float(out) <= 60
        assert len(starts(log)) == 1
        return
    lines = [
        "_vertex_openai_env_hook",  # fails: the next try is due in 60s
        "SECONDS=59; _vertex_openai_env_hook",  # not yet
        "echo $(( $(wc -l < bin/starts) ))",
        "SECONDS=61; _vertex_openai_env_hook",  # now
    ]
    out = in_shell(shell, snippet, lines, tmp_path)
    assert out.split() == [str(len(ARGS) + 6)]  # one start so far: its arguments and `--`
    assert len(starts(log)) == 2


def test_bash_registers_the_hook_once_when_bashrc_is_read_twice(tmp_path: Path) -> None:
    stand_in(tmp_path / "bin", refreshed("bash"))
    snippet = snippet_for("bash", *ARGS)
    out = in_shell(
        "bash", snippet, [f". {tmp_path / 'snippet'}", 'echo "$PROMPT_COMMAND"'], tmp_path
    )
    assert out.strip() == '_vertex_openai_env_arm "$(trap -p DEBUG)";_vertex_openai_env_hook'


def test_zsh_with_a_float_clock_still_refreshes(
    google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    snippet = snippet_for("zsh", *ARGS)
    session = tmp_path / "session"
    session.mkdir()
    rc = "typeset -F SECONDS\n" + snippet
    shown = interactive("zsh", rc, ["printf '%s\\n' $OPENAI_API_KEY >> tokens"], cli_env(), session)
    assert "integer expression expected" not in shown
    assert "bad math expression" not in shown
    (token,) = (session / "tokens").read_text().splitlines()
    assert google.valid(token)


HOSTILE = [
    "$(touch PWNED)",
    "`touch PWNED`",
    "';touch PWNED;'",
    "a\ntouch PWNED #",
    "\\'; touch PWNED",
]
# Every option the hook takes and passes on: a value, or nothing for a flag.
OPTIONS = [
    "--project", "--location", "--model", "--endpoint", "--api-version", "--api-endpoint",
    "--token-source", "--impersonate-service-account", "--lifetime", "--quota-project",
    "--scopes", "--timeout", "--min-valid", "--model-var",
]  # fmt: skip


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("option", OPTIONS)
def test_no_option_value_can_make_the_hook_run_code(
    shell: str, option: str, tmp_path: Path
) -> None:
    log = stand_in(tmp_path / "bin", refreshed(shell))
    for payload in HOSTILE:
        args = [arg for arg in ARGS if option != "--endpoint"]
        result = invoke("hook", shell, *args, option, payload)
        if result.exit_code != 0:  # refused as it would be for an export
            assert result.exit_code == 2, result.stderr
            assert result.stdout == ""
            continue
        in_shell(shell, result.stdout, ["_vertex_openai_env_hook"], tmp_path)
        assert not (tmp_path / "PWNED").exists()
        assert payload in starts(log)[-1] or payload.splitlines() == starts(log)[-1][-2:]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model-var", "X\ntouch /tmp/p #"], "is not a valid environment variable name"),
        (["--min-valid", "soon"], '--min-valid "soon" is not a duration'),
        (["--min-valid", "2h"], "is not shorter than a token's lifetime"),
        (["--no-model-var", "--model-var", "OPENAI_API_KEY"], None),
        (["--model-var", "OPENAI_API_KEY"], "that name is taken"),
    ],
)
def test_the_hook_refuses_what_an_export_refuses(
    args: list[str], message: str | None, google: FakeGoogle, service_account: Path
) -> None:
    hook = invoke("hook", "bash", *ARGS, *args)
    export = invoke(*ARGS, "--format", "sh", *args)
    if message is None:  # accepted by both
        assert hook.exit_code == 0, hook.stderr
        assert export.exit_code == 0, export.stderr
        assert google.valid(exported(export.stdout)["OPENAI_API_KEY"])  # the key, no model
        return
    assert hook.exit_code == 2
    assert hook.stdout == ""
    assert message in hook.stderr
    assert export.exit_code == 2
    assert message in export.stderr


def test_refresh_prints_the_variables_and_a_shell_local_deadline(
    google: FakeGoogle, service_account: Path
) -> None:
    result = invoke("hook", "bash", "--refresh", *ARGS, "--min-valid", "10m")
    assert result.exit_code == 0, result.stderr
    *exports, last = result.stdout.splitlines()
    assert exports[0].startswith("export OPENAI_API_KEY=")
    name, seconds = last.split("=")
    assert name == "_vertex_openai_env_refresh_in"
    assert 2990 <= int(seconds) <= 2999  # 3599s of token less the 10m margin


@pytest.mark.parametrize("shell", SHELLS)
def test_in_a_terminal_the_hook_refreshes_near_expiry_and_starts_nothing_before(
    shell: str, google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    # bash and zsh: tokens live an hour and the clock is moved on. fish's clock cannot be
    # moved: tokens live 20s with a 10s margin, a window wide enough for a slow machine.
    if shell == "fish":
        google.token_lifetime = 20
        margin, later = "10s", "sleep 11"
    else:
        margin, later = "5m", "SECONDS=3400"
    snippet = snippet_for(shell, *ARGS, "--min-valid", margin)
    real = Path(sys.executable).parent / "vertex-openai-env"
    log = stand_in(tmp_path / "bin", f'exec {real} "$@"')
    env = {**cli_env(), "PATH": f"{tmp_path / 'bin'}:{cli_env()['PATH']}"}
    record = "printf '%s\\n' $OPENAI_API_KEY >> tokens"
    session = tmp_path / "session"
    session.mkdir()
    interactive(shell, snippet, [record, record, later, record], env, session)
    first, second, third = (session / "tokens").read_text().splitlines()
    assert first == second  # a fresh token: the prompt between them started nothing
    assert google.valid(third)
    assert starts(log) == [[*refresh_args(shell), *ARGS, "--min-valid", margin]] * 2


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("given", ["--no-quota-header", "--no-openai-api-base"])
def test_the_hook_passes_an_opt_out_on_as_given(shell: str, given: str, tmp_path: Path) -> None:
    log = stand_in(tmp_path / "bin", refreshed(shell))
    in_shell(shell, snippet_for(shell, *ARGS, given), ["_vertex_openai_env_hook"], tmp_path)
    (run,) = starts(log)
    assert run == [*refresh_args(shell), *ARGS, given]  # neither dropped nor inverted


@pytest.mark.parametrize("shell", SHELLS)
def test_a_command_typed_after_an_idle_prompt_gets_a_live_token(
    shell: str, google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    # Tokens live 6s, refreshed 2s before expiry: the prompt's refresh leaves one that dies
    # while the terminal sits idle, so only a refresh before the command saves the command.
    google.token_lifetime = 6
    snippet = snippet_for(shell, *ARGS, "--min-valid", "2s")
    record = "printf '%s\\n' $OPENAI_API_KEY >> tokens"
    session = tmp_path / "session"
    session.mkdir()
    interactive(shell, snippet, [record, 7.0, record], cli_env(), session)
    first, second = (session / "tokens").read_text().splitlines()
    assert first != second
    assert google.valid(second)


def failing_hook(shell: str, tmp_path: Path, *lines: str) -> subprocess.CompletedProcess[str]:
    """The real tool's hook in a non-interactive `shell`, run by hand at each `attempt`
    (the deadline cleared, as a minute passing would)."""
    program = require(shell)
    (tmp_path / "snippet").write_text(snippet_for(shell, *ARGS))
    load = "source" if shell == "fish" else "."
    clear = "set -e _vertex_openai_env_due" if shell == "fish" else "unset _vertex_openai_env_due"
    script = [f"{load} {tmp_path / 'snippet'}"]
    for line in lines:
        script += [line, clear, "_vertex_openai_env_hook", "echo attempted >&2"]
    return subprocess.run(
        [program, "-c", "\n".join(script)],
        capture_output=True, text=True, env=cli_env(), cwd=tmp_path, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("shell", SHELLS)
def test_a_failing_refresh_is_said_once_per_failure(
    shell: str, google: FakeGoogle, tmp_path: Path
) -> None:
    key = google.service_account_file(tmp_path)
    missing = tmp_path / "gone.json"
    if shell == "fish":
        use = "set -gx GOOGLE_APPLICATION_CREDENTIALS {}"
    else:
        use = "export GOOGLE_APPLICATION_CREDENTIALS={}"
    result = failing_hook(
        shell,
        tmp_path,
        "true",  # no credentials
        "true",  # the same again: quiet
        use.format(missing),  # another failure: said
        use.format(missing),  # the same again: quiet
        use.format(key),  # works
        use.format(missing),  # fails again after a success: said
    )
    attempts = result.stderr.split("attempted\n")
    said = [bool(attempt.strip()) for attempt in attempts[:-1]]
    assert said == [True, False, True, False, False, True], result.stderr
    assert str(missing) in attempts[2]
    assert attempts[2] == attempts[5]


def test_bash_keeps_a_debug_trap_already_set_and_adds_its_own_once(tmp_path: Path) -> None:
    log = stand_in(tmp_path / "bin", refreshed("bash"))
    snippet = snippet_for("bash", *ARGS)
    prompt = 'eval "$PROMPT_COMMAND"'  # what bash runs before a prompt, at the top level
    lines = [f". {tmp_path / 'snippet'}", prompt, f". {tmp_path / 'snippet'}", prompt]
    lines += ["trap -p DEBUG", 'echo "$PROMPT_COMMAND"']
    program = require("bash")
    (tmp_path / "snippet").write_text(snippet)
    script = "\n".join(["trap 'echo \"old $?\"' DEBUG", "false", *lines])
    env = {**cli_env(), "PATH": f"{tmp_path / 'bin'}:{cli_env()['PATH']}"}
    result = subprocess.run(
        [program, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )
    (trap,) = [line for line in result.stdout.splitlines() if line.startswith("trap")]
    assert trap.count("_vertex_openai_env_hook") == 1
    assert 'echo "old $?"' in trap
    assert "old 1" in result.stdout  # the old trap still runs, and sees the status it saw
    assert result.stdout.splitlines()[-1] == "_vertex_openai_env_hook"  # armed once, and gone
    assert len(starts(log)) == 1


def test_a_refresh_refused_by_the_settings_is_said_once_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The environment changed after the rc file ran: now the settings themselves fail.
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "not a location")
    args = ["hook", "bash", "--refresh", "--project", "my-proj", "--model", "m"]
    first = invoke(*args, "--said", "")
    assert first.exit_code == 2, first.stderr
    assert "not a location" in first.stderr
    (said,) = first.stdout.splitlines()
    assert said.startswith("_vertex_openai_env_said=")
    again = invoke(*args, "--said", said.partition("=")[2])
    assert again.exit_code == 2
    assert again.stderr == ""
    assert again.stdout == said + "\n"
