"""The default format follows the calling shell: parent process first, then $SHELL."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import cli_env, require
from vertex_openai_env.output.shell_detect import detect, format_of, process_name

# Each shell runs the tool in a command substitution, as `eval` and `source` do.
CAPTURE = {
    "bash": 'x="$(vertex-openai-env --unset --verbose)"; printf "%s" "$x"',
    "zsh": 'x="$(vertex-openai-env --unset --verbose)"; printf "%s" "$x"',
    "dash": 'x="$(vertex-openai-env --unset --verbose)"; printf "%s" "$x"',
    "fish": "vertex-openai-env --unset --verbose | string collect",
}


@pytest.mark.parametrize(
    ("shell", "misleading_shell", "first_line", "format_name"),
    [
        ("fish", "/bin/bash", "set -e OPENAI_API_KEY", "fish"),
        ("bash", "/usr/bin/fish", "unset OPENAI_API_KEY", "sh"),
        ("zsh", "/usr/bin/fish", "unset OPENAI_API_KEY", "sh"),
        ("dash", "/usr/bin/fish", "unset OPENAI_API_KEY", "sh"),
    ],
)
def test_the_parent_shell_decides_over_shell_variable(
    shell: str, misleading_shell: str, first_line: str, format_name: str
) -> None:
    program = require(shell)
    env = {**cli_env(), "SHELL": misleading_shell}
    result = subprocess.run(
        [program, "-c", CAPTURE[shell]], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == first_line
    assert f"format: {format_name} (the parent process is {shell})" in result.stderr


def test_shell_variable_is_used_when_the_parent_is_no_shell() -> None:
    detected = detect({"SHELL": "/usr/local/bin/fish"}, parent=os.getpid())
    assert (detected.format, detected.reason) == ("fish", "$SHELL is /usr/local/bin/fish")


def test_posix_sh_when_nothing_is_known() -> None:
    assert detect({}, parent=os.getpid()).format == "sh"
    assert detect({"SHELL": "/usr/bin/nu"}, parent=os.getpid()).format == "sh"


@pytest.mark.parametrize(
    ("program", "fmt"),
    [
        ("-zsh", "sh"),
        ("/bin/ksh", "sh"),
        ("fish", "fish"),
        ("pwsh", "powershell"),
        ("powershell.exe", "powershell"),
        ("CMD.EXE", "cmd"),
        ("python3", None),
    ],
)
def test_shell_names(program: str, fmt: str | None) -> None:
    assert format_of(program) == fmt


def started(command: list[str]) -> subprocess.Popen[bytes]:
    """`command`, running: past the fork, its name is the program's, not ours."""
    process = subprocess.Popen(command)
    deadline = time.monotonic() + 10
    while process_name(process.pid) != Path(command[0]).name:
        assert time.monotonic() < deadline, "it did not start"
        time.sleep(0.01)
    return process


def test_the_parent_given_is_the_one_asked() -> None:
    fish = started([require("fish"), "-c", "sleep 30"])
    try:
        assert detect({"SHELL": "/bin/bash"}, parent=fish.pid) == (
            "fish",
            "the parent process is fish",
        )
    finally:
        fish.kill()
        fish.wait()
    assert detect({}, parent=os.getpid()) == ("sh", "no known shell found: POSIX sh")


def test_without_proc_the_name_comes_from_ps_as_on_macos(tmp_path: Path) -> None:
    require("ps")
    sleeper = started(["sleep", "30"])
    try:
        assert process_name(sleeper.pid, proc=str(tmp_path)) == "sleep"
        assert process_name(sleeper.pid, proc=str(tmp_path), platform="win32") is None
        assert process_name(sleeper.pid) == "sleep"
    finally:
        sleeper.kill()
        sleeper.wait()
    assert process_name(sleeper.pid, proc=str(tmp_path)) is None  # gone: ps prints nothing


def test_where_there_is_proc_no_ps_is_run(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeper = started(["sleep", "30"])
    try:
        monkeypatch.setenv("PATH", "")  # a ps, if one were run, could not be found
        assert process_name(sleeper.pid) == "sleep"
    finally:
        sleeper.kill()
        sleeper.wait()
