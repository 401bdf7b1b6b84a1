"""Impersonation and token lifetimes through google-auth, against a loopback IAM endpoint."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import exported, invoke, write_gcloud_config
from tests.fake_google import FakeGoogle

TARGET = "vertex@demo-project.iam.gserviceaccount.com"
IAM_PATH = f"/v1/projects/-/serviceAccounts/{TARGET}:generateAccessToken"
ARGS = ("--project", "my-proj", "--location", "us-central1", "--model", "gemini-2.5-flash")


@pytest.fixture
def iam(google: FakeGoogle, service_account: Path, monkeypatch: pytest.MonkeyPatch) -> FakeGoogle:
    """gcloud's own override sends IAM calls to the fake, as it does for gcloud."""
    monkeypatch.setenv("CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS", f"{google.url}/")
    return google


def test_lifetime_reaches_iam_and_the_expiry_is_exported(iam: FakeGoogle) -> None:
    result = invoke(*ARGS, "--impersonate-service-account", TARGET, "--lifetime", "2h", "-v")
    assert result.exit_code == 0, result.stderr
    (call,) = [c for c in iam.calls if c.path == IAM_PATH]
    assert call.json()["lifetime"] == "7200s"
    assert call.json()["scope"] == ["https://www.googleapis.com/auth/cloud-platform"]
    assert iam.valid(call.bearer)  # the source credentials' token
    values = exported(result.stdout)
    token = values["OPENAI_API_KEY"]
    assert token != call.bearer
    assert iam.valid(token)
    expiry = iam.issued[token]
    assert values["VERTEX_OPENAI_TOKEN_EXPIRES_AT"] == expiry.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert 7190 < (expiry - datetime.now(timezone.utc)).total_seconds() <= 7200
    assert f"impersonating: {TARGET}" in result.stderr


def test_a_refused_twelve_hour_token_is_explained(iam: FakeGoogle) -> None:
    iam.max_impersonation_lifetime = 3600
    result = invoke(*ARGS, "--impersonate-service-account", TARGET, "--lifetime", "12h")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"vertex-openai-env: error: IAM refused a token longer than 1h for {TARGET}: "
        "the organisation policy does not allow it for this service account",
        "  fix: ask an organisation admin to list it in "
        "constraints/iam.allowServiceAccountCredentialLifetimeExtension, or use --lifetime 1h",
    ]


def test_a_missing_token_creator_role_is_explained(iam: FakeGoogle) -> None:
    iam.iam_denied.add(TARGET)
    result = invoke(*ARGS, "--impersonate-service-account", TARGET)
    assert result.exit_code == 1
    assert f"you may not impersonate {TARGET}" in result.stderr
    assert "--role=roles/iam.serviceAccountTokenCreator" in result.stderr


def test_more_than_an_hour_without_impersonation_is_refused_up_front(
    google: FakeGoogle, service_account: Path
) -> None:
    result = invoke(*ARGS, "--lifetime", "12h")
    assert result.exit_code == 2
    assert "--lifetime 12h needs --impersonate-service-account" in result.stderr
    assert google.calls == []


@pytest.mark.parametrize(
    ("given", "message"), [("13h", "outside 1m to 12h"), ("soon", "not a duration")]
)
def test_bad_lifetimes(given: str, message: str, iam: FakeGoogle) -> None:
    result = invoke(*ARGS, "--impersonate-service-account", TARGET, "--lifetime", given)
    assert result.exit_code == 2
    assert message in result.stderr


def test_impersonation_from_gcloud_config_and_its_variable(
    iam: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = {"auth": {"impersonate_service_account": TARGET}}
    write_gcloud_config(Path(os.environ["CLOUDSDK_CONFIG"]), config)
    assert invoke(*ARGS).exit_code == 0
    other = "other@demo-project.iam.gserviceaccount.com"
    monkeypatch.setenv("CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT", other)
    assert invoke(*ARGS).exit_code == 0
    assert [c.path.split("/")[-1] for c in iam.calls if "generateAccessToken" in c.path] == [
        f"{TARGET}:generateAccessToken",
        f"{other}:generateAccessToken",
    ]


def test_a_delegation_chain_names_the_delegates(iam: FakeGoogle) -> None:
    middle = "middle@demo-project.iam.gserviceaccount.com"
    result = invoke(*ARGS, "--impersonate-service-account", f"{middle},{TARGET}")
    assert result.exit_code == 0, result.stderr
    (call,) = [c for c in iam.calls if c.path == IAM_PATH]
    assert call.json()["delegates"] == [f"projects/-/serviceAccounts/{middle}"]


@pytest.mark.parametrize("account", ["not-an-email", "a@b.c;id", "$(id)@x.com", ""])
def test_bad_service_accounts_are_refused(account: str) -> None:
    result = invoke(*ARGS, "--impersonate-service-account", account)
    assert result.exit_code == 2
    assert "is not a service-account email" in result.stderr


def test_quota_projects_are_shown_from_flag_or_credentials(
    google: FakeGoogle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = google.external_account_file(tmp_path, quota_project_id="billing-proj")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    result = invoke(*ARGS, "--verbose")
    assert "quota project of the credentials: billing-proj" in result.stderr
    result = invoke(*ARGS, "--verbose", "--quota-project", "other-billing", "--format", "json")
    assert "quota project: other-billing (from --quota-project)" in result.stderr
    assert json.loads(result.stdout)["credentials"]["quota_project"] == "other-billing"
