"""Which shell called us: the parent process first, then $SHELL, else POSIX sh.

On the path of every `eval "$(vertex-openai-env ...)"`, cache hits included: it imports
neither pathlib nor subprocess unless `ps` is needed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import NamedTuple

_FORMAT_OF_SHELL = {
    **dict.fromkeys(("sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "busybox"), "sh"),
    "fish": "fish",
    "pwsh": "powershell",
    "powershell": "powershell",
    "cmd": "cmd",
}


class Detected(NamedTuple):
    """The format to use and why, for --verbose."""

    format: str
    reason: str


def detect(environ: Mapping[str, str], parent: int | None = None) -> Detected:
    """The output format for the shell that is running us."""
    candidates = (
        (process_name(os.getppid() if parent is None else parent), "the parent process is {}"),
        (environ.get("SHELL"), "$SHELL is {}"),
    )
    for program, why in candidates:
        found = format_of(program) if program else None
        if found:
            return Detected(found, why.format(program))
    return Detected("sh", "no known shell found: POSIX sh")


def format_of(program: str) -> str | None:
    """`/usr/bin/fish` -> `fish`; a login shell's `-zsh` -> `sh`; unknown -> None."""
    name = os.path.basename(program).lstrip("-").lower().removesuffix(".exe")
    return _FORMAT_OF_SHELL.get(name)


def process_name(pid: int, proc: str = "/proc", platform: str = sys.platform) -> str | None:
    """The command name of process `pid`, or None where it cannot be read cheaply."""
    try:
        with open(f"{proc}/{pid}/comm", encoding="utf-8") as comm:
            return comm.read().strip() or None
    except OSError:
        pass
    if platform == "win32":
        return None
    import subprocess

    try:  # macOS and the BSDs have no /proc.
        result = subprocess.run(
            ["ps", "-o", "comm=", "-p", str(pid)],
            capture_output=True,
            text=True,
            timeout=2,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None
