"""Faults at the token endpoint, the metadata server and gcloud: retried, bounded, explained."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import closed_port, exported, invoke, metadata_env, run
from tests.fake_google import Call, FakeGoogle, Reply, status_reply

ARGS = ("--project", "my-proj", "--location", "us-central1", "--model", "gemini-2.5-flash")
HTML = b"<html><body>Please log in to the guest Wi-Fi</body></html>"
MD_TOKEN = "/computeMetadata/v1/instance/service-accounts/default/token"


def timed(*args: str) -> tuple[float, object]:
    started = time.monotonic()
    result = invoke(*args)
    return time.monotonic() - started, result


# --- the token endpoint (a service-account key) -------------------------------------------


def test_token_endpoint_503_once_is_retried(google: FakeGoogle, service_account: Path) -> None:
    google.fail_next("/token", status_reply(503))
    result = invoke(*ARGS)
    assert result.exit_code == 0, result.stderr
    assert google.valid(exported(result.stdout)["OPENAI_API_KEY"])
    assert google.count("/token") == 2


def test_token_endpoint_503_always_gives_up_after_bounded_retries(
    google: FakeGoogle, service_account: Path
) -> None:
    google.fail_next("/token", *[status_reply(503)] * 10)
    elapsed, result = timed(*ARGS)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert 2 <= google.count("/token") <= 3  # google-auth's retries, then given up, in time
    assert elapsed < 8
    assert "/token kept answering HTTP 503" in result.stderr  # type: ignore[attr-defined]
    assert result.stdout == ""  # type: ignore[attr-defined]


@pytest.mark.parametrize("status", [200, 302, 403])
def test_a_captive_portal_page_is_recognised(
    status: int, google: FakeGoogle, service_account: Path
) -> None:
    google.fail_next("/token", status_reply(status, HTML))
    result = invoke(*ARGS)
    assert result.exit_code == 1
    assert (
        f"answered HTTP {status} with a non-JSON body (a proxy or captive portal" in result.stderr
    )
    assert "Wi-Fi" not in result.stderr


def test_a_token_endpoint_that_never_answers_times_out(
    google: FakeGoogle, service_account: Path
) -> None:
    google.fail_next("/token", google.hang())
    elapsed, result = timed(*ARGS, "--timeout", "1")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert elapsed < 2.5
    assert (
        f"gave up after 1s (--timeout) waiting for {google.url}/token" in result.stderr  # type: ignore[attr-defined]
    )


# --- the metadata server (google-auth reads its address at import: a new process each) ---


def test_metadata_503_once_is_retried(google: FakeGoogle) -> None:
    google.fail_next(MD_TOKEN, status_reply(503))
    result = run(*ARGS, env=metadata_env(google))
    assert result.returncode == 0, result.stderr
    assert google.count(MD_TOKEN) == 2


def test_metadata_503_always_gives_up_by_the_deadline(google: FakeGoogle) -> None:
    google.fail_next(MD_TOKEN, *[status_reply(503)] * 20)
    started = time.monotonic()
    result = run(*ARGS, "--timeout", "1", env=metadata_env(google))
    assert time.monotonic() - started < 3
    assert result.returncode == 1
    assert "gave up after 1s (--timeout):" in result.stderr
    assert f"{MD_TOKEN} kept answering HTTP 503" in result.stderr


def test_metadata_that_never_answers_times_out(google: FakeGoogle) -> None:
    google.fail_next(MD_TOKEN, *[google.hang()] * 5)
    started = time.monotonic()
    result = run(*ARGS, "--timeout", "1", env=metadata_env(google))
    assert time.monotonic() - started < 3
    assert result.returncode == 1
    assert f"gave up after 1s (--timeout) waiting for http://127.0.0.1:{google.port}{MD_TOKEN}" in (
        result.stderr
    )


def test_metadata_non_json_token_reply(google: FakeGoogle) -> None:
    google.fail_next(MD_TOKEN, lambda call: (200, {"metadata-flavor": "Google"}, HTML))
    result = run(*ARGS, env=metadata_env(google))
    assert result.returncode == 1
    assert "with a non-JSON body" in result.stderr


def test_a_metadata_address_where_nothing_listens_means_no_credentials() -> None:
    result = run(*ARGS)  # the tests' GCE_METADATA_HOST is a closed port
    assert result.returncode == 1
    assert "no Google credentials found" in result.stderr


# --- gcloud -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault", [status_reply(503), status_reply(200, HTML)], ids=["503-always", "non-json"]
)
def test_gcloud_failing_at_the_token_endpoint_is_one_line(
    fault: Callable[[Call], Reply], gcloud_login: FakeGoogle
) -> None:
    gcloud_login.fail_next("/token", *[fault] * 10)
    elapsed, result = timed(*ARGS, "--token-source", "gcloud", "--timeout", "20")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert elapsed < 20
    lines = result.stderr.splitlines()  # type: ignore[attr-defined]
    assert lines[0].startswith("vertex-openai-env: error: gcloud")
    assert len(lines) <= 2
    assert "login" not in result.stderr  # type: ignore[attr-defined]  # it would not help


def test_gcloud_that_cannot_connect_is_not_told_to_log_in(
    gcloud_login: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDSDK_AUTH_TOKEN_HOST", f"http://127.0.0.1:{closed_port()}/token")
    result = invoke(*ARGS, "--token-source", "gcloud", "--timeout", "30")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "vertex-openai-env: error: gcloud could not reach its token endpoint: connection refused",
        "  fix: check your network and proxy settings (gcloud config list proxy)",
    ]
