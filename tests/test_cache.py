"""The token cache: reuse within the margin, private files, and distrust of anything odd."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import NOBODY, exported, invoke, metadata_env, run
from tests.fake_google import FakeGoogle
from vertex_openai_env.deadline import Deadline
from vertex_openai_env.tokens import cache
from vertex_openai_env.tokens.registry import SOURCES

ARGS = ("--project", "my-proj", "--location", "us-central1", "--model", "gemini-2.5-flash")


@pytest.fixture
def folder() -> Path:
    """The cache folder the tests' environment points at ($XDG_RUNTIME_DIR)."""
    return Path(os.environ["XDG_RUNTIME_DIR"]) / "vertex-openai-env"


def token(*extra: str) -> str:
    result = invoke(*ARGS, *extra)
    assert result.exit_code == 0, result.stderr
    return exported(result.stdout)["OPENAI_API_KEY"]


def test_a_second_run_within_the_margin_asks_for_nothing(
    google: FakeGoogle, service_account: Path
) -> None:
    assert token() == token()
    assert google.count("/token") == 1


def test_past_the_margin_it_fetches(google: FakeGoogle, service_account: Path) -> None:
    google.token_lifetime = 200  # less than the default 5 minutes of margin
    assert token() != token()
    assert google.count("/token") == 2
    first = token("--min-valid", "1m")
    assert token("--min-valid", "1m") == first


def test_no_cache_fetches_and_keeps_nothing(
    google: FakeGoogle, service_account: Path, folder: Path
) -> None:
    assert token("--no-cache") != token("--no-cache")
    assert google.count("/token") == 2
    assert not folder.exists() or list(folder.iterdir()) == []


def test_files_are_private_and_named_without_the_token(
    google: FakeGoogle, service_account: Path, folder: Path
) -> None:
    value = token()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    (entry,) = folder.iterdir()
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert value not in entry.name
    assert json.loads(entry.read_text())["token"] == value


def test_what_changes_the_token_changes_the_entry(
    google: FakeGoogle, service_account: Path, folder: Path
) -> None:
    token()
    token("--scopes", "cloud-platform,userinfo.email")
    token("--quota-project", "billing-proj")
    info = json.loads(service_account.read_text())
    service_account.write_text(json.dumps({**info, "private_key_id": "rotated"}))
    token()
    assert google.count("/token") == 4
    assert len(list(folder.iterdir())) == 4


def forged(entry: dict[str, Any], change: str) -> str:
    """The cache entry `entry` with one thing wrong, so that only that can be the reason."""
    expiry = datetime.fromisoformat(entry["expiry"])
    changes: dict[str, Any] = {
        "shell syntax in the token": {"token": "x';touch PWNED;'"},
        "an expiry without a zone": {"expiry": expiry.replace(tzinfo=None).isoformat()},
        "an expiry past what Google issues": {"expiry": (expiry + timedelta(days=30)).isoformat()},
        "another version": {"version": entry["version"] + 1},
        "no credential": {"credential": {}},
    }
    if change == "not JSON":
        return "not json at all"
    return json.dumps({**entry, **changes[change]})


@pytest.mark.parametrize(
    "damage",
    [
        "unchanged",
        "not JSON",
        "shell syntax in the token",
        "an expiry without a zone",
        "an expiry past what Google issues",
        "another version",
        "no credential",
    ],
)
def test_a_damaged_or_forged_entry_is_ignored_and_replaced(
    damage: str, google: FakeGoogle, service_account: Path, folder: Path
) -> None:
    first = token()
    (entry,) = folder.iterdir()
    if damage != "unchanged":
        entry.write_text(forged(json.loads(entry.read_text()), damage))
    second = token()
    if damage == "unchanged":  # the control: an intact entry is used
        assert second == first
        return
    assert second != first
    assert google.valid(second)
    assert "PWNED" not in entry.read_text()
    assert token() == second


def test_an_entry_others_can_read_is_not_trusted(
    google: FakeGoogle, service_account: Path, folder: Path
) -> None:
    first = token()
    (entry,) = folder.iterdir()
    entry.chmod(0o644)
    assert token() != first


def test_an_entry_that_is_a_fifo_is_replaced_without_waiting(
    google: FakeGoogle, service_account: Path, folder: Path
) -> None:
    first = token()
    (entry,) = folder.iterdir()
    entry.unlink()
    os.mkfifo(entry, 0o600)  # no writer: opening it to read would wait forever
    result = run(*ARGS)
    assert result.returncode == 0, result.stderr
    assert exported(result.stdout)["OPENAI_API_KEY"] != first
    assert entry.is_file()


def test_a_folder_open_to_others_is_not_used(
    google: FakeGoogle, service_account: Path, folder: Path
) -> None:
    folder.mkdir(parents=True)
    folder.chmod(0o755)
    result = invoke(*ARGS)
    assert result.exit_code == 0
    assert f"token cache not used: {folder} is open to others (mode 0755)" in result.stderr
    assert token() != token()
    assert list(folder.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a folder to another user")
def test_a_folder_owned_by_someone_else_is_not_used(
    google: FakeGoogle, service_account: Path, folder: Path
) -> None:
    folder.mkdir(parents=True, mode=0o700)
    os.chown(folder, NOBODY, NOBODY)
    result = invoke(*ARGS)
    assert f"{folder} belongs to another user (uid {NOBODY})" in result.stderr
    assert list(folder.iterdir()) == []


def test_a_cache_hit_imports_no_network_library_nor_click_nor_subprocess(
    google: FakeGoogle, service_account: Path
) -> None:
    token()  # fills the cache
    code = (
        "import sys\n"
        f"sys.argv = ['vertex-openai-env', *{list(ARGS)!r}]\n"  # the shell detected, too
        "from vertex_openai_env.launch import main\n"
        "try: main()\n"
        "except SystemExit: pass\n"
        "heavy = ('google', 'requests', 'urllib3', 'click', 'urllib.request', 'http',"
        " 'subprocess', 'pathlib')\n"
        "print([m for m in sys.modules if m.startswith(heavy)], file=sys.stderr)\n"
    )
    # Not measured by coverage, which imports pathlib itself.
    environ = {name: value for name, value in os.environ.items() if not name.startswith("COVERAGE")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=environ,
    )
    assert result.stderr.strip() == "[]"
    assert "OPENAI_API_KEY" in result.stdout
    assert google.count("/token") == 1


def test_metadata_tokens_are_kept_per_service_account(google: FakeGoogle) -> None:
    # Two VMs sharing a home folder: the same metadata address, different accounts.
    first = exported(run(*ARGS, "--format", "sh", env=metadata_env(google)).stdout)
    assert exported(run(*ARGS, "--format", "sh", env=metadata_env(google)).stdout) == first
    google.sa_email = "other@demo-project.iam.gserviceaccount.com"
    second = exported(run(*ARGS, "--format", "sh", env=metadata_env(google)).stdout)
    assert second["OPENAI_API_KEY"] != first["OPENAI_API_KEY"]
    assert google.count("/computeMetadata/v1/instance/service-accounts/default/token") == 2


@pytest.mark.parametrize(
    "variable",
    [
        "CLOUDSDK_AUTH_TOKEN_HOST",
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS",
        "GCE_METADATA_HOST",
    ],
)
def test_an_endpoint_override_is_part_of_the_key(
    variable: str, google: FakeGoogle, service_account: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = token()
    monkeypatch.setenv(variable, "http://127.0.0.1:9/")
    assert token() != first


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_token_source_names_whose_credentials_it_answers_for(
    name: str, google: FakeGoogle, tmp_path: Path
) -> None:
    # The cache key's credentials part: two accounts must never share one entry.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = google.service_account_file(tmp_path / "a")
    second = google.service_account_file(
        tmp_path / "b", client_email="other@p.iam.gserviceaccount.com"
    )
    identity = SOURCES[name].identity
    named = [
        identity({"GOOGLE_APPLICATION_CREDENTIALS": str(path)}, Deadline(5), None)[0]
        for path in (first, first, second)
    ]
    assert named[0] is not None
    assert named[0] == named[1]
    assert named[0] != named[2]


@pytest.mark.parametrize(
    ("unset", "where"),
    [
        (("XDG_RUNTIME_DIR",), "cache/vertex-openai-env"),  # CI runners, containers
        (("XDG_RUNTIME_DIR", "XDG_CACHE_HOME"), "home/.cache/vertex-openai-env"),
    ],
)
def test_without_a_runtime_folder_tokens_go_to_the_user_cache(
    unset: tuple[str, ...],
    where: str,
    google: FakeGoogle,
    service_account: Path,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in unset:
        monkeypatch.delenv(name)
    assert token() == token()
    assert google.count("/token") == 1
    folder = isolated / where
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    (entry,) = folder.iterdir()
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert not (isolated / "run").exists()


@pytest.mark.parametrize(
    ("platform", "environ", "where"),
    [
        ("darwin", {"HOME": "/Users/u"}, "/Users/u/Library/Caches/vertex-openai-env"),
        ("win32", {"HOME": "/h", "LOCALAPPDATA": "/L"}, "/L/vertex-openai-env/Cache"),
        ("win32", {"HOME": "/h"}, "/h/.cache/vertex-openai-env"),
        ("linux", {"HOME": "/h", "LOCALAPPDATA": "/L"}, "/h/.cache/vertex-openai-env"),
        ("linux", {"HOME": "/h", "XDG_RUNTIME_DIR": ""}, "/h/.cache/vertex-openai-env"),
        ("darwin", {"HOME": "/h", "XDG_CACHE_HOME": "/x"}, "/x/vertex-openai-env"),
        ("darwin", {"HOME": "/h", "XDG_RUNTIME_DIR": "/r"}, "/r/vertex-openai-env"),
    ],
)
def test_the_cache_folder_of_each_platform(
    platform: str, environ: dict[str, str], where: str
) -> None:
    # Only this machine's platform runs for real: the others are named, not reached.
    assert cache.default_folder(environ, platform) == where


def test_without_home_the_cache_is_under_the_users_home_folder(
    monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    monkeypatch.setenv("HOME", str(isolated / "elsewhere"))  # what expanduser reads
    assert cache.default_folder({}) == str(isolated / "elsewhere/.cache/vertex-openai-env")


def test_verbose_says_where_the_token_came_from(google: FakeGoogle, service_account: Path) -> None:
    first = invoke(*ARGS, "--verbose").stderr
    assert "\nvertex-openai-env: token: fetched from $GOOGLE_APPLICATION_CREDENTIALS" in first
    second = invoke(*ARGS, "--verbose").stderr
    assert re.search(
        r"\nvertex-openai-env: token: from the cache \(59m(\d{1,2}s)? left\)\n", second
    )


def test_a_cache_that_cannot_be_written_is_named_and_the_token_still_printed(
    google: FakeGoogle, service_account: Path, folder: Path
) -> None:
    token()
    (entry,) = folder.iterdir()
    entry.unlink()
    entry.mkdir()  # where the entry goes, a folder: it can be neither read nor replaced
    result = invoke(*ARGS)
    assert result.exit_code == 0
    assert google.valid(exported(result.stdout)["OPENAI_API_KEY"])
    assert (
        f"vertex-openai-env: note: could not write the token cache in {folder}: "
        "Is a directory\n" in result.stderr
    )


def test_a_runtime_folder_that_cannot_be_made_is_named(
    google: FakeGoogle, service_account: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = isolated / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(blocker))
    result = invoke(*ARGS)
    assert result.exit_code == 0
    assert google.valid(exported(result.stdout)["OPENAI_API_KEY"])
    assert (
        f"token cache not used: cannot create {blocker / 'vertex-openai-env'}: Not a directory"
        in result.stderr
    )
