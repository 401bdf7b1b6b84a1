"""`--env-file PATH --watch`: the file is rewritten before each expiry, until stopped."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from itertools import islice
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tests.conftest import cli_env
from tests.fake_google import FakeGoogle, json_reply
from vertex_openai_env.errors import VertexEnvError
from vertex_openai_env.live.watch import next_refresh, refresh_failed, retry_pauses, watch
from vertex_openai_env.tokens.types import CredentialInfo, Minted, Token

ARGS = ["--project", "my-proj", "--location", "us-central1", "--model", "gemini-2.5-flash"]


@pytest.fixture
def dotenv(tmp_path: Path) -> Path:
    path = tmp_path / ".env"
    path.write_text("# mine\nDEBUG=1\n")
    path.chmod(0o644)
    return path


def start(dotenv: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["vertex-openai-env", *ARGS, "--env-file", str(dotenv), "--watch", *extra],
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )


def wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def tokens_seen(dotenv: Path) -> Iterator[str]:
    values = dotenv_values(dotenv)
    if values.get("OPENAI_API_KEY"):
        yield str(values["OPENAI_API_KEY"])


def test_the_file_is_rewritten_as_each_token_runs_out_until_sigterm(
    google: FakeGoogle, service_account: Path, dotenv: Path
) -> None:
    google.token_lifetime = 6
    watcher = start(dotenv, "--min-valid", "4s")
    seen: list[str] = []

    def two_tokens() -> bool:
        seen.extend(t for t in tokens_seen(dotenv) if t not in seen)
        return len(seen) >= 2

    wait_for(two_tokens, 15)
    watcher.send_signal(signal.SIGTERM)
    _, stderr = watcher.communicate(timeout=10)
    assert watcher.returncode == 0, stderr
    assert "refreshing in" in stderr
    assert stderr.rstrip().endswith("stopped")
    assert stderr.count("is readable by others") == 1  # said once, not at every refresh
    values = dotenv_values(dotenv)
    assert values["DEBUG"] == "1"
    assert values["OPENAI_API_KEY"] in seen
    assert all(google.issued.get(token) for token in seen)


def test_a_failed_refresh_is_retried_while_the_old_token_holds(
    google: FakeGoogle, service_account: Path, dotenv: Path
) -> None:
    google.token_lifetime = 30
    watcher = start(dotenv, "--min-valid", "28s")
    wait_for(lambda: any(tokens_seen(dotenv)), 15)
    (first,) = tokens_seen(dotenv)
    refusal = json_reply(400, {"error": "invalid_grant", "error_description": "try later"})
    google.fail_next("/token", lambda call: refusal)
    wait_for(lambda: next(tokens_seen(dotenv)) != first, 20)
    watcher.send_signal(signal.SIGINT)
    _, stderr = watcher.communicate(timeout=10)
    assert watcher.returncode == 0
    assert "refresh failed:" in stderr
    assert "retrying in 2s (the current token is valid for" in stderr


def test_retries_wait_twice_as_long_each_time_up_to_a_minute() -> None:
    assert list(islice(retry_pauses(), 8)) == [2, 4, 8, 16, 32, 60, 60, 60]


def test_a_failed_refresh_says_whether_the_current_token_still_works() -> None:
    assert refresh_failed("no network", 4, 90.5) == (
        "token refresh failed: no network; retrying in 4s "
        "(the current token is valid for 1m30s more)"
    )
    assert refresh_failed("no network", 60, -3).endswith(
        "retrying in 1m (the current token has expired)"
    )


def test_watch_needs_an_env_file() -> None:
    result = subprocess.run(
        ["vertex-openai-env", *ARGS, "--watch"], capture_output=True, text=True, env=cli_env()
    )
    assert result.returncode == 2
    assert "--watch keeps a file fresh: give --env-file PATH" in result.stderr


@pytest.mark.parametrize(
    ("left", "min_valid", "wait"),
    [
        (3600, 300, 3301),  # one second past the margin: the cache no longer offers it
        (602, 300, 303),
        (400, 300, 200),  # half of what is left, not every second
        (200, 300, 100),
        (1.5, 300, 1.0),  # at least a second
        (-5, 300, 1.0),
    ],
)
def test_the_next_refresh_comes_just_past_the_margin(
    left: float, min_valid: int, wait: float
) -> None:
    assert next_refresh(left, min_valid) == wait


@pytest.fixture
def own_signals() -> Iterator[None]:
    """The handlers watch() installs, put back afterwards."""
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


def minted(seconds: float, value: str) -> Minted:
    expiry = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return Minted(Token(value, expiry), CredentialInfo("service_account", "test"))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_watch_writes_refreshes_retries_and_stops_on_a_signal(
    signum: int, own_signals: None
) -> None:
    """In this process (the subprocess tests show the same from outside): the first token
    is written at once, a failed refresh is reported and retried, a signal ends the loop."""
    said: list[str] = []
    answers: list[Minted | VertexEnvError] = [
        minted(0.5, "first"),  # expires in half a second: refreshed after one
        VertexEnvError("no network"),
        minted(3600, "second"),
    ]
    written: list[str] = []

    def write() -> Minted:
        answer = answers.pop(0)
        if isinstance(answer, VertexEnvError):
            raise answer
        written.append(answer.token.value)
        if not answers:
            os.kill(os.getpid(), signum)
        return answer

    started = time.monotonic()
    watch(write, 300, said.append)
    took = time.monotonic() - started
    assert written == ["first", "second"]
    assert re.fullmatch(r"token valid until \d{4}-\d\d-\d\dT[\d:]{8}Z; refreshing in 1s", said[0])
    assert said[1].startswith("token refresh failed: no network; retrying in 2s (the current")
    assert said[2:] == ["stopped"]
    assert 3 <= took < 10  # one second to the refresh, two before trying again, no more


def test_a_signal_during_the_first_wait_stops_watch_at_once(own_signals: None) -> None:
    said: list[str] = []
    writes: list[int] = []

    def write() -> Minted:
        writes.append(1)
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM)).start()
        return minted(3600, "only")

    started = time.monotonic()
    watch(write, 300, said.append)
    assert time.monotonic() - started < 5
    assert writes == [1]
    assert len(said) == 2
    assert said[0].endswith("; refreshing in 55m")
    assert said[1] == "stopped"


def test_a_signal_while_retrying_stops_watch_without_another_attempt(
    own_signals: None,
) -> None:
    said: list[str] = []
    calls: list[int] = []

    def write() -> Minted:
        calls.append(1)
        if len(calls) == 1:
            return minted(0.5, "first")
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
        raise VertexEnvError("refused")

    watch(write, 300, said.append)
    assert len(calls) == 2
    assert said[-1] == "stopped"
    assert len(said) == 3
