"""`python -m tests.fake_google`: the stand-in run by hand, as the README tells users to."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_stopping_the_stand_in_deletes_its_key(tmp_path: Path, stop: signal.Signals) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_google"], cwd=ROOT, stdout=subprocess.PIPE,
        text=True, env={**os.environ, "TMPDIR": str(tmp_path)},
    )  # fmt: skip
    assert child.stdout is not None
    try:
        lines = iter(child.stdout.readline, "")
        said = list(itertools.takewhile(lambda line: not line.startswith("Ctrl-C"), lines))
        (key,) = [Path(line.split("=", 1)[1].strip()) for line in said if "CREDENTIALS=" in line]
        assert key.is_file()
        # The command it suggests runs as typed, from the clone, venv activated or not.
        (probe,) = [line.split()[0] for line in said if "check --probe" in line]
        assert os.access(ROOT / probe, os.X_OK), probe
        assert key.is_relative_to(tmp_path)
        child.send_signal(stop)
        assert child.wait(30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert not key.parent.exists(), sorted(str(p) for p in key.parent.rglob("*"))


def test_stopping_the_demo_deletes_the_stand_ins_key(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    # Its steps are killed halfway (SIGKILL): a process killed while coverage saves its
    # data would leave an unreadable data file, so none of them is measured.
    env.pop("COVERAGE_PROCESS_CONFIG", None)
    env.pop("COVERAGE_PROCESS_START", None)
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.demo"], cwd=ROOT, stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    try:
        lines = iter(child.stdout.readline, "")
        said = next(line for line in lines if "GOOGLE_APPLICATION_CREDENTIALS=" in line)
        key = Path(said.split("=", 1)[1].strip())
        assert key.is_file()
        child.send_signal(signal.SIGTERM)  # while it runs its steps, a second or two more
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert "Demo complete" not in child.stdout.read()
    assert not key.parent.exists(), sorted(str(p) for p in key.parent.rglob("*"))
