"""--token-source gcloud: the real gcloud binary against a loopback token endpoint."""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import exported, invoke, require
from tests.fake_google import FakeGoogle
from vertex_openai_env.tokens import gcloud as gcloud_token
from vertex_openai_env.tokens.types import TokenRequest

ARGS = ("--token-source", "gcloud", "--project", "my-proj", "--model", "gemini-2.5-flash")


def fake_gcloud(folder: Path, script: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in `gcloud` first on PATH, for behaviour the real one cannot be made to show."""
    folder.mkdir()
    program = folder / "gcloud"
    program.write_text(f"#!/bin/sh\n{script}\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:{os.environ['PATH']}")


def running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting to be reaped is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_token_and_expiry_come_through(gcloud_login: FakeGoogle) -> None:
    result = invoke(*ARGS, "--verbose")
    assert result.exit_code == 0, result.stderr
    values = exported(result.stdout)
    token = values["OPENAI_API_KEY"]
    assert gcloud_login.valid(token)
    (grant,) = [call.form() for call in gcloud_login.calls if call.path == "/token"]
    assert grant["grant_type"] == "refresh_token"
    exported_expiry = datetime.strptime(
        values["VERTEX_OPENAI_TOKEN_EXPIRES_AT"], "%Y-%m-%dT%H:%M:%SZ"
    ).replace(tzinfo=timezone.utc)
    assert abs((exported_expiry - gcloud_login.issued[token]).total_seconds()) < 3
    assert "credentials: gcloud application-default credentials" in result.stderr


def test_a_revoked_login_names_the_login_command(gcloud_login: FakeGoogle) -> None:
    gcloud_login.refresh_token = "rt-issued-later"  # the file's token is no longer accepted
    result = invoke(*ARGS)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "vertex-openai-env: error: gcloud's application-default login has expired or needs "
        "reauthentication",
        "  fix: gcloud auth application-default login",
    ]
    assert gcloud_login.authorized_user_info()["client_secret"] not in result.stderr


def test_no_login_at_all(google: FakeGoogle) -> None:
    require("gcloud")
    result = invoke(*ARGS)
    assert result.exit_code == 1
    assert "gcloud has no application-default credentials" in result.stderr
    assert "fix: gcloud auth application-default login" in result.stderr


def test_gcloud_missing_from_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    started = time.monotonic()
    result = invoke(*ARGS)
    assert time.monotonic() - started < 1
    assert result.exit_code == 1
    assert "gcloud is not installed or not on PATH" in result.stderr


def test_a_hanging_gcloud_is_stopped_with_its_children(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid_file = tmp_path / "child.pid"
    fake_gcloud(tmp_path / "bin", f"sleep 60 & echo $! > {pid_file}; wait", monkeypatch)
    started = time.monotonic()
    result = invoke(*ARGS, "--timeout", "1")
    assert time.monotonic() - started < 4
    assert result.exit_code == 1
    assert "gcloud did not answer within 1s" in result.stderr
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 2  # SIGKILL is delivered, not awaited
    while running(child) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not running(child)


def test_gcloud_cannot_read_our_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A prompt that waits for an answer sees end-of-file at once instead of hanging.
    fake_gcloud(
        tmp_path / "bin",
        "read answer || echo 'ERROR: (gcloud) stdin closed' >&2; exit 1",
        monkeypatch,
    )
    result = invoke(*ARGS, "--timeout", "5")
    assert result.exit_code == 1
    assert "gcloud failed: stdin closed" in result.stderr


def test_impersonation_refusals_from_gcloud_are_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real gcloud sends ADC impersonation to Google's IAM host whatever the override:
    # what it prints when IAM says no is replayed here.
    refusal = (
        "ERROR: (gcloud.auth.application-default.print-access-token) There was a problem "
        "refreshing your current auth tokens: ('Unable to acquire impersonated credentials', "
        '\'{ "error": { "code": 403, "message": "Permission '
        'iam.serviceAccounts.getAccessToken denied on resource (or it may not exist).", '
        '"status": "PERMISSION_DENIED" } }\')'
    )
    fake_gcloud(tmp_path / "bin", f"cat >&2 <<'EOF'\n{refusal}\nEOF\nexit 1", monkeypatch)
    target = "vertex@p-roject.iam.gserviceaccount.com"
    result = invoke(*ARGS, "--impersonate-service-account", target)
    assert result.exit_code == 1
    assert f"you may not impersonate {target}" in result.stderr


def test_command_line_carries_scopes_impersonation_and_lifetime() -> None:
    request = TokenRequest(
        source="gcloud",
        scopes=("https://www.googleapis.com/auth/cloud-platform", "openid"),
        impersonate=("a@p.iam.gserviceaccount.com", "b@p.iam.gserviceaccount.com"),
        lifetime=7200,
    )
    assert gcloud_token.command(request) == [
        "gcloud",
        "auth",
        "application-default",
        "print-access-token",
        "--format=json(token,expiry.datetime)",
        "--scopes=https://www.googleapis.com/auth/cloud-platform,openid",
        "--impersonate-service-account=a@p.iam.gserviceaccount.com,b@p.iam.gserviceaccount.com",
        "--lifetime=7200",
    ]
    assert gcloud_token.command(TokenRequest(source="gcloud"))[4:] == [
        "--format=json(token,expiry.datetime)"
    ]
