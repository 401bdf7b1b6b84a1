"""The tool run with one of its output streams on a real terminal (a pty), as a user sees it."""

from __future__ import annotations

import os
import pty
import subprocess
from collections.abc import Sequence

from tests.conftest import cli_env


def on_a_terminal(args: Sequence[str], stream: str = "stderr") -> tuple[str, str]:
    """Run `vertex-openai-env ARGS` with `stream` ("stdout" or "stderr") on a terminal: what
    the terminal showed, and what the other stream said (stdout is thrown away)."""
    controller, terminal = pty.openpty()
    on_stdout = stream == "stdout"
    child = subprocess.Popen(
        ["vertex-openai-env", *args],
        stdout=terminal if on_stdout else subprocess.DEVNULL,
        stderr=subprocess.PIPE if on_stdout else terminal,
        env=cli_env(),
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed with the child
            break
        if not chunk:
            break
        shown += chunk
    _, other = child.communicate(timeout=60)
    os.close(controller)
    return shown.decode(), (other or b"").decode()
