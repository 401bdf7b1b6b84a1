"""Many writers at once, and writers killed at any moment: nothing lost, nothing partial."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tests.conftest import cli_env, unmeasured
from tests.fake_google import FakeGoogle

ARGS = ["vertex-openai-env", "--project", "my-proj", "--location", "us-central1", "--model", "m"]
KEEP = "# settings of my own\nDATABASE_URL='postgres://db'\n\nexport DEBUG=1\n"


def start(*args: str, measured: bool = True) -> subprocess.Popen[str]:
    """The tool as a process of its own. One the test will kill is not `measured`: killed
    while coverage saves its data, it would leave an unreadable data file behind."""
    env = cli_env() if measured else unmeasured(cli_env())
    return subprocess.Popen(
        [*ARGS, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )


class Reader(threading.Thread):
    """Parses the file over and over while writers work, remembering every failure."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path, self.done, self.problems = path, threading.Event(), list[str]()
        self.reads = 0

    def run(self) -> None:
        while not self.done.is_set():
            text = self.path.read_text()
            values = dotenv_values(self.path)
            self.reads += 1
            if not text.startswith(KEEP) or values.get("DATABASE_URL") != "postgres://db":
                self.problems.append(text[:200])


def temporaries(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".tmp"))


def test_twenty_writers_to_one_env_file_lose_nothing(
    google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    path = tmp_path / ".env"
    path.write_text(KEEP)
    reader = Reader(path)
    reader.start()
    # Each writer also adds a key of its own: its model variable.
    writers = [start("--env-file", str(path), "--model-var", f"MODEL_{n}") for n in range(20)]
    statuses = [writer.wait(timeout=120) for writer in writers]
    reader.done.set()
    reader.join()
    assert statuses == [0] * 20, [w.stderr.read() for w in writers if w.stderr]
    assert reader.problems == []
    assert reader.reads > 0
    values = dotenv_values(path)
    assert {f"MODEL_{n}" for n in range(20)} <= set(values)
    assert google.valid(values["OPENAI_API_KEY"])
    assert path.read_text().startswith(KEEP)
    assert temporaries(tmp_path) == []


def test_twenty_runs_on_a_cold_cache_leave_one_good_entry(
    google: FakeGoogle, service_account: Path
) -> None:
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, "env": cli_env()}
    runs = [subprocess.Popen([*ARGS, "--format", "sh"], **pipes) for _ in range(20)]  # type: ignore[call-overload]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0] * 20, outputs
    assert all(google.valid(out.split("'")[1]) for out, _ in outputs)
    folder = Path(os.environ["XDG_RUNTIME_DIR"]) / "vertex-openai-env"
    (entry,) = list(folder.iterdir())
    assert google.valid(json.loads(entry.read_text())["token"])


def kill_while_writing(writer: subprocess.Popen[str], folder: Path, signum: int) -> bool:
    """Send `signum` the moment a temporary file appears in `folder`; False if none did."""
    while writer.poll() is None:
        if any(name.endswith(".tmp") for name in os.listdir(folder)):
            writer.send_signal(signum)
            writer.wait(timeout=60)
            return True
    return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_a_writer_killed_while_writing_leaves_the_old_or_the_new_file(
    signum: int, google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    path = folder / ".env"
    # A large file keeps the writer busy long enough to be caught in the act.
    filler = "".join(f"FILLER_{n}='{'x' * 20000}'\n" for n in range(500))
    path.write_text(KEEP + filler)
    cache = Path(os.environ["XDG_RUNTIME_DIR"]) / "vertex-openai-env"
    # Tokens shorter than the margin: every run fetches, and rewrites the cache too.
    google.token_lifetime = 200
    args = ("--env-file", str(path))
    caught = 0
    for _ in range(6):
        # SIGKILL leaves no coverage data anyway, but a half-written file when it lands
        # as the data is saved.
        writer = start(*args, measured=signum != signal.SIGKILL)
        caught += kill_while_writing(writer, folder, signum)
        values = dotenv_values(path)
        assert path.read_text().startswith(KEEP)
        assert len([key for key in values if key.startswith("FILLER_")]) == 500
        assert values.get("OPENAI_API_KEY") is None or google.valid(values["OPENAI_API_KEY"])
        for entry in cache.glob("*.json") if cache.exists() else []:
            assert google.valid(json.loads(entry.read_text())["token"])
        if signum == signal.SIGTERM:
            assert temporaries(folder) == []
    assert caught >= 3, "the kills missed the moment of writing"
    # After SIGKILL nothing can clean up at once; the next writer sweeps what was left.
    assert start(*args).wait(timeout=60) == 0
    assert temporaries(folder) == []
    assert not cache.exists() or temporaries(cache) == []
