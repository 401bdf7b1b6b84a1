"""Real shells evaluating the tool's output, and reading the variables back byte for byte."""

from __future__ import annotations

import functools
import os
import pty
import select
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from tests.conftest import require

# How each shell loads a file of assignments, and writes one variable's bytes to a file.
_SOURCE = {
    "bash": ". {script}",
    "dash": ". {script}",
    "zsh": ". {script}",
    "fish": "source {script}",
}
_DUMP = {
    "bash": "printf '%s' \"${name}\" > {out}",
    "dash": "printf '%s' \"${name}\" > {out}",
    "zsh": "printf '%s' \"${name}\" > {out}",
    "fish": "printf '%s' ${name} > {out}",
}
_UNSET_CHECK = {
    "bash": '[ -z "${{{name}+set}}" ] || echo {name} > {out}',
    "dash": '[ -z "${{{name}+set}}" ] || echo {name} > {out}',
    "zsh": '[ -z "${{{name}+set}}" ] || echo {name} > {out}',
    "fish": "set -q {name}; and echo {name} > {out}",
}


def evaluate(shell: str, text: str, names: Iterable[str], folder: Path) -> dict[str, bytes]:
    """Source `text` in a real `shell`; return each variable's bytes as the shell holds them."""
    program = require(shell)
    script = folder / f"exports.{shell}"
    script.write_bytes(text.encode())
    lines = [_SOURCE[shell].format(script=script)]
    for name in names:
        lines.append(_DUMP[shell].format(name=name, out=folder / f"{name}.value"))
    _run(program, lines, folder)
    return {name: (folder / f"{name}.value").read_bytes() for name in names}


def still_set(shell: str, setup: str, unset: str, names: Iterable[str], folder: Path) -> list[str]:
    """Source `setup`, then `unset`, in one real shell; return the names still set."""
    program = require(shell)
    folder = Path(tempfile.mkdtemp(dir=folder))
    (folder / "setup").write_bytes(setup.encode())
    (folder / "unset").write_bytes(unset.encode())
    marker = folder / "still-set"
    lines = [
        _SOURCE[shell].format(script=folder / "setup"),
        _SOURCE[shell].format(script=folder / "unset"),
    ]
    lines += [_UNSET_CHECK[shell].format(name=name, out=f"{marker}.{name}") for name in names]
    _run(program, [*lines, "true"], folder)
    return sorted(path.read_text().strip() for path in folder.glob("still-set.*"))


def _run(program: str, lines: list[str], folder: Path) -> None:
    subprocess.run(
        [program, "-c", "\n".join(lines)], cwd=folder, check=True, timeout=30, capture_output=True
    )


def interactive(
    shell: str, rc: str, lines: list[str | float], env: dict[str, str], folder: Path
) -> str:
    """Type `lines` into a real interactive `shell` on a terminal, its rc file holding `rc`;
    return what the terminal showed.

    Prompts (and so prompt hooks) come between the lines, as for a person typing. A number
    among the lines is a pause: once the shell has run what was typed before it, the terminal
    sits at a prompt for that many seconds before the next line is typed.
    """
    program = require(shell)
    env = {**env, "TERM": "dumb", "HOME": str(folder)}
    if shell == "bash":
        (folder / ".bashrc").write_text(rc)
        argv = [program, "--noprofile", "--rcfile", str(folder / ".bashrc"), "-i"]
    elif shell == "zsh":
        (folder / ".zshrc").write_text(rc)
        env["ZDOTDIR"] = str(folder)
        argv = [program, "-i"]
    else:
        (folder / "fish").mkdir(exist_ok=True)
        (folder / "fish" / "config.fish").write_text(rc)
        env["XDG_CONFIG_HOME"] = str(folder)
        argv = [program, "-i"]
    pid, terminal = pty.fork()
    if pid == 0:  # pragma: no cover - the child becomes the shell at once
        os.chdir(folder)
        os.execve(program, argv, env)  # noqa: S606 - a shell under test, no shell needed
    shown = bytearray()
    typed: list[str] = []
    for line in [*lines, "exit"]:
        if isinstance(line, str):
            typed.append(line)
            continue
        # `ready""-N` as typed (echoed back) is not `ready-N` as printed.
        mark = f"ready-{len(shown)}"
        _type(terminal, [*typed, f'echo ready""-{len(shown)}'])
        typed = []
        _read(
            terminal, shown, until=functools.partial(bytearray.__contains__, shown, mark.encode())
        )
        _read(terminal, shown, seconds=line)
    _type(terminal, typed)
    _read(terminal, shown)
    os.close(terminal)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, f"{shell} exited with {status}"
    return shown.decode("utf-8", "replace")


def _type(terminal: int, lines: list[str]) -> None:
    os.write(terminal, "".join(f"{line}\n" for line in lines).encode())


def _read(
    terminal: int,
    shown: bytearray,
    seconds: float = 60,
    until: Callable[[], bool] = lambda: False,
) -> None:
    """Add what the terminal shows to `shown` for `seconds`, until `until()`, or until the
    shell has gone."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until():
        ready, _, _ = select.select([terminal], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(terminal, 65536)
        except OSError:  # the shell has gone and the terminal with it
            return
        if not chunk:
            return
        shown += chunk
