"""`exec`: hand the terminal to a command with the variables set."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from typing import NoReturn

from ..errors import CommandError, reason
from ..output.variables import API_BASE


def child_environment(environ: Mapping[str, str], variables: Mapping[str, str]) -> dict[str, str]:
    """The environment with the variables set, and no stale OPENAI_API_BASE left behind:
    LangChain would read it before OPENAI_BASE_URL."""
    child = {**environ, **variables}
    if API_BASE not in variables:
        child.pop(API_BASE, None)
    return child


def run(command: list[str], env: Mapping[str, str]) -> NoReturn:
    """Become `command` (POSIX), so its exit status and signals are its own."""
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name != "posix":  # pragma: no cover - Windows cannot replace a process
        done = subprocess.run(command, env=dict(env), check=False)  # pragma: no mutate
        sys.exit(done.returncode)  # pragma: no mutate
    try:
        os.execvpe(command[0], command, dict(env))  # noqa: S606 - the user's own command
    except FileNotFoundError:
        raise CommandError(f"command not found: {command[0]}", 127) from None
    except OSError as exc:
        raise CommandError(f"cannot run {command[0]}: {reason(exc)}", 126) from exc
