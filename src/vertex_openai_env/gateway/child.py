"""`exec --serve`: a command run for as long as the gateway serves it.

The command gets the gateway's variables and none of the Google token: not in
OPENAI_API_KEY, not in any other variable. Its exit status is the tool's; the stop
signals sent to the tool are passed on to it, and a command killed by a signal kills
the tool with the same signal.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping

from ..errors import CommandError, reason
from ..live.runner import child_environment
from ..output.variables import EXPIRES_AT
from .limits import as_inherited
from .server import Gateway

# The terminal sends SIGINT and SIGQUIT to the command itself when both are in its
# foreground; passing them on too would deliver them twice.
FROM_TERMINAL = ("SIGINT", "SIGQUIT")
PASSED_ON = ("SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2", *FROM_TERMINAL)


def child_environ(environ: Mapping[str, str], gateway: Gateway) -> dict[str, str]:
    """The command's environment: ours, with the gateway's variables and no Google token.

    A stale token expiry from an earlier export goes too (it means nothing for a local
    key), and so does $GOOGLE_APPLICATION_CREDENTIALS: the command needs no way to the key
    itself. A stale OPENAI_API_BASE goes as in `exec`.
    """
    token = gateway.exports.minted.token.value
    dropped = (EXPIRES_AT, "GOOGLE_APPLICATION_CREDENTIALS")
    kept = {
        name: value for name, value in environ.items() if token not in value and name not in dropped
    }
    return child_environment(kept, gateway.variables())


async def run_child(gateway: Gateway, command: list[str], environ: Mapping[str, str]) -> int:
    """Start `gateway`, run `command` against it, stop the gateway; the command's status
    (negative: the signal that ended it)."""
    relay = _Relay()
    loop = asyncio.get_running_loop()
    for name in PASSED_ON:
        signum = getattr(signal, name)
        loop.add_signal_handler(signum, relay.send, signum)
    await gateway.start()
    try:
        try:
            with as_inherited():  # spawned at once: nothing else opens files meanwhile
                child = await asyncio.create_subprocess_exec(
                    *command, env=child_environ(environ, gateway)
                )
        except FileNotFoundError:
            raise CommandError(f"command not found: {command[0]}", 127) from None
        except OSError as exc:
            raise CommandError(f"cannot run {command[0]}: {reason(exc)}", 126) from exc
        relay.attach(child)
        return await child.wait()
    finally:
        await gateway.stop()


class _Relay:
    """Signals for the command: passed on, or kept until it has started."""

    def __init__(self) -> None:
        self._child: asyncio.subprocess.Process | None = None
        self._kept: list[int] = []

    def attach(self, child: asyncio.subprocess.Process) -> None:
        self._child = child
        for signum in self._kept:
            self.send(signum)

    def send(self, signum: int) -> None:
        if self._child is None:
            self._kept.append(signum)
            return
        if signal.Signals(signum).name in FROM_TERMINAL and _in_terminal_foreground():
            return
        with contextlib.suppress(ProcessLookupError):  # it has just ended
            self._child.send_signal(signum)


def _in_terminal_foreground() -> bool:
    for fd in (0, 1, 2):
        try:
            return os.tcgetpgrp(fd) == os.getpgrp()
        except OSError:
            continue
    return False


def exit_like(status: int) -> int:
    """End this process as the command ended: killed by its signal, or return its status."""
    if status >= 0:
        return status
    signum = -status
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    return 128 + signum  # the signal was blocked or ignored: the shell's number for it
