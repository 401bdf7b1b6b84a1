"""Shared fixtures: an isolated environment for every test, and the loopback fake Google."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

from tests.fake_google import FakeGoogle

if TYPE_CHECKING:
    from tests.gateways import InProcess
from vertex_openai_env.cli import main
from vertex_openai_env.console import PROG

_CLEARED_PREFIXES = ("GOOGLE_", "CLOUDSDK_", "VERTEX_OPENAI", "OPENAI_", "GCE_", "GITHUB_")
NOBODY = 65534
_CLEARED = ("K_SERVICE", "CLOUD_RUN_JOB", "FUNCTION_TARGET", "GAE_SERVICE", "NO_GCE_CHECK")
# npm's own cache, found before any test moves HOME.
_NPM_CACHE = Path(os.environ.get("NPM_CONFIG_CACHE") or Path.home() / ".npm")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """In CI a skipped test is a failed test: every test must really run there."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {report.longrepr}"


def closed_port() -> int:
    """A loopback port nobody listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No test sees the real gcloud folder, credentials, cache or metadata server."""
    for name in list(os.environ):
        if name.startswith(_CLEARED_PREFIXES) or name in _CLEARED:
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    nobody = f"127.0.0.1:{closed_port()}"
    monkeypatch.setenv("GCE_METADATA_HOST", nobody)
    monkeypatch.setenv("GCE_METADATA_IP", nobody)
    return tmp_path


@pytest.fixture(scope="session")
def npm_cache() -> Path:
    """The user's npm cache, for every test that installs an npm package: packages download
    once per machine, not once per run (each test has a HOME of its own)."""
    return _NPM_CACHE


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        yield fake


def metadata_env(google: FakeGoogle) -> dict[str, str]:
    """The environment of a tool process whose metadata server is `google` (google-auth
    reads the address at import: only a new process sees it)."""
    address = f"127.0.0.1:{google.port}"
    return {**os.environ, "GCE_METADATA_HOST": address, "GCE_METADATA_IP": address}


def use_service_account(
    google: FakeGoogle, folder: Path, monkeypatch: pytest.MonkeyPatch, **extra: str
) -> Path:
    """Application Default Credentials: a real service-account key in `folder` pointing at
    the fake, `extra` added to the file (a quota_project_id, say)."""
    path = google.service_account_file(folder, **extra)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    return path


@pytest.fixture
def service_account(google: FakeGoogle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Application Default Credentials: a real service-account key pointing at the fake."""
    return use_service_account(google, tmp_path, monkeypatch)


@pytest.fixture
def gateway(google: FakeGoogle, service_account: Path) -> Iterator[InProcess]:
    """A gateway in this process for the model of `tests.gateways.MODEL`, the stand-in
    streaming without pauses (a test module may define its own `gateway` instead)."""
    from tests.gateways import MODEL, in_process  # it imports this module

    google.stream_gap = 0
    with in_process(google, *MODEL) as running:
        yield running


@pytest.fixture
def gcloud_login(google: FakeGoogle, monkeypatch: pytest.MonkeyPatch) -> FakeGoogle:
    """The real gcloud, logged in (application-default) and refreshing at the fake."""
    require("gcloud")
    folder = Path(os.environ["CLOUDSDK_CONFIG"])
    folder.mkdir(exist_ok=True)
    (folder / "application_default_credentials.json").write_text(
        json.dumps(google.authorized_user_info())
    )
    monkeypatch.setenv("CLOUDSDK_AUTH_TOKEN_HOST", google.token_uri)
    return google


# What a Python repr or traceback looks like in a message: never meant for a user.
PYTHON_TALK = re.compile(
    r"<[\w.]+ object at 0x|\b\w+(?:Error|Exception|Warning)\(|\(\s*'|\[Errno \d+\]"
    r"|Traceback \(most recent call last\)|\w+Pool\(|\b(?:None|True|False)\)$"
    r"|\b[A-Z][a-z]+[A-Z][A-Za-z]*\(|\"None\""
)


def plain_words(stderr: str) -> str:
    """`stderr`, after checking that it holds no Python repr or traceback."""
    found = PYTHON_TALK.search(stderr)
    assert found is None, f"Python talk on stderr: {found.group(0)!r} in {stderr!r}"
    return stderr


def invoke(*args: str) -> Result:
    """Run the CLI in-process; stdout and stderr stay apart. Every message must be plain
    words: this runs nearly every path the tests can trigger, errors included."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False, prog_name=PROG)
    plain_words(result.stderr)
    return result


def run(
    *args: str, env: dict[str, str] | None = None, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a real process, as a shell would (its messages checked as invoke's)."""
    command = [sys.executable, "-m", "vertex_openai_env", *args]
    result: subprocess.CompletedProcess[str] = subprocess.run(  # type: ignore[call-overload]
        command, capture_output=True, text=True, env=env or dict(os.environ), timeout=60, **kwargs
    )
    plain_words(result.stderr)
    return result


def exported(stdout: str) -> dict[str, str]:
    """Parse `export NAME='value'` lines (values here never hold quotes)."""
    pairs = (line.removeprefix("export ").split("=", 1) for line in stdout.splitlines())
    return {name: value.strip("'") for name, value in pairs}


def write_gcloud_config(
    folder: Path,
    sections: Mapping[str, Mapping[str, str]],
    name: str = "default",
    active: bool = True,
) -> Path:
    """A gcloud configuration file as `gcloud config set` writes it."""
    (folder / "configurations").mkdir(parents=True, exist_ok=True)
    if active:
        (folder / "active_config").write_text(name)
    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {value}" for key, value in values.items())
    path = folder / "configurations" / f"config_{name}"
    path.write_text("\n".join(lines) + "\n")
    return path


def cli_env() -> dict[str, str]:
    """The current environment with the installed `vertex-openai-env` first on PATH."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def unmeasured(env: Mapping[str, str]) -> dict[str, str]:
    """`env` for a process coverage must leave alone: one the test kills, or one too
    limited to save its data (a small file-size limit). Either would leave a torn data file
    that `coverage combine` cannot read."""
    return {
        name: value
        for name, value in env.items()
        if name not in ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START")
    }


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder another user can reach (pytest's own folders are private to us)."""
    folder = Path(tempfile.mkdtemp(prefix="voe-shared-"))
    folder.chmod(0o755)
    yield folder
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    shutil.rmtree(folder)


class Attacker:
    """`action` run by another user (if we are root) beside the test, until it returns.

    The user is `uid` with the groups `gids`, the first of them its own (none: the group of
    its uid). A fork, not a new interpreter: the child keeps the code already loaded, so it
    needs no access to the interpreter's own folders. `said` is what `action` returned; an
    action still running after `timeout` seconds is killed.
    """

    def __init__(
        self,
        action: Callable[[], str],
        uid: int = NOBODY,
        gids: Sequence[int] = (),
        timeout: float = 5,
    ) -> None:
        self.action = action
        self.uid = uid
        self.gids = list(gids)
        self.timeout = timeout
        self.said = ""

    def __enter__(self) -> Attacker:
        read_end, write_end = os.pipe()
        self._pid = os.fork()
        if self._pid == 0:  # pragma: no cover - the child
            os.close(read_end)
            try:
                if os.geteuid() == 0:
                    os.setgroups(self.gids)
                    os.setgid(self.gids[0] if self.gids else self.uid)
                    os.setuid(self.uid)
                text = self.action()
            except BaseException as exc:
                text = f"{type(exc).__name__}: {exc}"
            os.write(write_end, text.encode())
            os._exit(0)
        os.close(write_end)
        self._read_end = read_end
        return self

    def __exit__(self, *exc: object) -> None:
        """Wait for the action; one still running after `timeout` seconds is stopped."""
        ready, _, _ = select.select([self._read_end], [], [], self.timeout)
        if not ready:
            os.kill(self._pid, signal.SIGKILL)
        with os.fdopen(self._read_end, "rb") as stream:
            self.said = stream.read().decode()
        os.waitpid(self._pid, 0)


def as_other_user(action: Callable[[], str]) -> str:
    """Run `action` as another user (if we are root) and return what it returned."""
    with Attacker(action) as attacker:
        pass
    return attacker.said


def require(program: str) -> str:
    """The path of `program`; in CI a missing program fails the run instead of skipping."""
    path = shutil.which(program)
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{program} is not installed, and CI must run every test")
    pytest.skip(f"{program} is not installed")
