"""Atomic writes in folders others can write: nothing done by path, nothing left, nothing lost."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import NOBODY, Attacker, cli_env, require
from tests.fake_google import FakeGoogle
from vertex_openai_env import atomic, signals

ARGS = ["--project", "my-proj", "--location", "us-central1", "--model", "m"]
PATH_CALLS = "chmod,fchmodat,chown,fchownat,lchown"


def test_mode_and_owner_are_set_on_the_descriptor_never_by_path(
    google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    strace = require("strace")
    dotenv = tmp_path / ".env"
    dotenv.write_text("A=1\n")
    dotenv.chmod(0o640)
    trace = tmp_path / "trace"
    command = [strace, "-f", "-qq", "-e", f"trace={PATH_CALLS}", "-o", str(trace)]
    result = subprocess.run(
        [*command, "vertex-openai-env", *ARGS, "--env-file", str(dotenv)],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(dotenv.stat().st_mode) == 0o640
    cache = Path(os.environ["XDG_RUNTIME_DIR"]) / "vertex-openai-env"
    assert len(list(cache.glob("*.json"))) == 1  # the cache was written too
    calls = [line for line in trace.read_text().splitlines() if "(" in line]
    assert calls == [], "a mode or owner was set by path"


@pytest.fixture
def swap_folder(shared_tmp: Path) -> tuple[Path, Path]:
    """A folder anyone may rename entries in, and a root-owned private file elsewhere."""
    if os.geteuid() != 0:
        pytest.skip("the attack needs a writer running as root and an attacker who is not")
    folder = shared_tmp / "project"
    folder.mkdir()
    folder.chmod(0o777)  # not sticky: others may rename our entries
    victim = shared_tmp / "root-only"
    victim.write_text("root's secret\n")
    victim.chmod(0o600)
    return folder, victim


def swap_for_symlink(folder: Path, victim: Path) -> Callable[[], str]:
    """The attacker: the moment a temporary file appears, put a link to `victim` in its place."""

    def attack() -> str:
        while True:
            for name in os.listdir(folder):
                if name.endswith(".tmp"):
                    try:
                        os.rename(folder / name, folder / "stolen")
                    except FileNotFoundError:
                        continue  # the writer was quicker this time
                    os.symlink(victim, folder / name)
                    return "swapped"

    return attack


def test_a_temporary_file_swapped_for_a_symlink_changes_nothing_else(
    swap_folder: tuple[Path, Path], google: FakeGoogle, service_account: Path
) -> None:
    folder, victim = swap_folder
    dotenv = folder / ".env"
    # A large, world-writable .env: the writer is busy long enough to be caught.
    before = "".join(f"FILLER_{n}='{'x' * 2000}'\n" for n in range(2000))
    # On a busy machine the attacker may not be scheduled while the temporary file exists:
    # that run proves nothing, and the attack is tried again on the same file.
    for _ in range(5):
        dotenv.write_text(before)
        dotenv.chmod(0o666)
        with Attacker(swap_for_symlink(folder, victim)) as attacker:
            # The writer at the lowest priority, so that the attacker gets to act while the
            # temporary file is there, as it would on an idle machine.
            result = subprocess.run(
                [
                    "nice",
                    "-n",
                    "19",
                    "vertex-openai-env",
                    *ARGS,
                    "--no-cache",
                    "--env-file",
                    str(dotenv),
                ],
                capture_output=True,
                text=True,
                env=cli_env(),
                timeout=60,
            )
        if attacker.said == "swapped":
            break
    assert attacker.said == "swapped", "the attacker never saw the temporary file"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o600
    assert victim.read_text() == "root's secret\n"
    assert result.returncode == 1
    assert "was replaced by someone else while being written" in result.stderr
    assert not dotenv.is_symlink()
    assert dotenv.read_text() == before
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []


def test_a_signal_between_creating_and_guarding_the_file_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    real_open = os.open

    def open_then_terminated(path: str | Path, flags: int, mode: int = 0o777) -> int:
        fd = real_open(path, flags, mode)
        if str(path).endswith(".tmp"):
            signal.raise_signal(signal.SIGTERM)  # arrives the instant the file exists
        return fd

    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGHUP)}
    signals.install()
    monkeypatch.setattr(os, "open", open_then_terminated)
    try:
        with pytest.raises(SystemExit) as stopped:
            atomic.replace(folder / ".env", b"A=1\n")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    assert stopped.value.code == 128 + signal.SIGTERM
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    "junk",
    [
        "..env.99999999999999999999.deadbeef.tmp",  # a process ID no process can have
        "..env.abc.deadbeef.tmp",
        "..env..tmp",
        "..env.1.tmp",
    ],
)
def test_junk_named_like_a_temporary_file_never_blocks_a_write(junk: str, tmp_path: Path) -> None:
    (tmp_path / junk).write_text("not ours")
    atomic.replace(tmp_path / ".env", b"A=1\n")
    atomic.replace(tmp_path / ".env", b"A=2\n")
    assert (tmp_path / ".env").read_bytes() == b"A=2\n"
    assert (tmp_path / junk).read_text() == "not ours"


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_only_our_own_leftovers_of_dead_writers_are_swept(shared_tmp: Path) -> None:
    ours = shared_tmp / f"..env.{dead_pid()}.0123abcd.tmp"
    ours.write_text("left by a killed writer")
    link = shared_tmp / f"..env.{dead_pid()}.4567abcd.tmp"
    link.symlink_to(shared_tmp / "elsewhere")
    theirs = shared_tmp / f"..env.{dead_pid()}.89abcdef.tmp"
    theirs.write_text("another user's")
    if os.geteuid() == 0:
        os.chown(theirs, NOBODY, NOBODY)
    atomic.replace(shared_tmp / ".env", b"A=1\n")
    assert not ours.exists()
    assert link.is_symlink()
    assert theirs.exists() == (os.geteuid() == 0)
