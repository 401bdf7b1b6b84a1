"""`exec --serve` and the signals meant for its command: passed on when they come to the
tool alone (a `kill`, not a terminal's Ctrl-C, which reaches both)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import cli_env
from tests.fake_google import FakeGoogle
from tests.test_serve_cli import variables

# Counts the signal for a second after the first, then says how many came.
COUNTING = textwrap.dedent("""
    import os, signal, sys, time
    got = []
    signal.signal(signal.SIG{name}, lambda *_: got.append(time.monotonic()))
    os.write(1, b"ready\\n")
    while not got:
        time.sleep(0.01)
    time.sleep(1)
    os.write(1, b"got %d\\n" % len(got))
""")


def command(name: str) -> list[str]:
    return ["vertex-openai-env", "exec", "--serve", "--", sys.executable, "-c",
            COUNTING.format(name=name)]  # fmt: skip


@pytest.mark.parametrize("name", ["INT", "QUIT", "HUP"])
def test_a_signal_sent_to_the_tool_alone_reaches_the_command_once(
    google: FakeGoogle, service_account: Path, name: str
) -> None:
    process = subprocess.Popen(
        command(name), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**cli_env(), **variables(google)}, start_new_session=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == b"ready\n"
        process.send_signal(getattr(signal, f"SIG{name}"))
        out, err = process.communicate(timeout=20)
    finally:  # a signal not passed on leaves both waiting: end them, child first
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert (out, process.returncode) == (b"got 1\n", 0), err
