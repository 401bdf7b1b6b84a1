"""Tokens from Application Default Credentials: the real google-auth code, over loopback HTTP."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import google.auth.transport
import pytest

from tests.conftest import closed_port, exported, invoke, run
from tests.fake_google import FakeGoogle, json_reply
from vertex_openai_env.deadline import Deadline
from vertex_openai_env.errors import CredentialsError
from vertex_openai_env.tokens import adc, metadata
from vertex_openai_env.tokens.credentials_file import CredentialsFile
from vertex_openai_env.tokens.loaders import Found, from_file
from vertex_openai_env.tokens.registry import fetch
from vertex_openai_env.tokens.transport import Exchange
from vertex_openai_env.tokens.types import CLOUD_PLATFORM, TokenRequest

MODEL_ARGS = ("--location", "us-central1", "--model", "gemini-2.5-flash")


def test_service_account_key_signs_a_jwt_the_token_endpoint_accepts(
    google: FakeGoogle, service_account: Path
) -> None:
    result = invoke(*MODEL_ARGS)
    assert result.exit_code == 0, result.stderr
    values = exported(result.stdout)
    assert google.valid(values["OPENAI_API_KEY"])
    assert google.count("/token") == 1
    grant = next(call for call in google.calls if call.path == "/token").form()
    assert grant["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    # The project came from the key file, the expiry from the token endpoint's expires_in.
    assert "/projects/demo-project/" in values["OPENAI_BASE_URL"]
    assert values["VERTEX_OPENAI_TOKEN_EXPIRES_AT"] == google.issued[
        values["OPENAI_API_KEY"]
    ].strftime("%Y-%m-%dT%H:%M:%SZ")


def test_scopes_reach_the_token_request(google: FakeGoogle, service_account: Path) -> None:
    result = invoke(*MODEL_ARGS, "--scopes", "cloud-platform,userinfo.email")
    assert result.exit_code == 0, result.stderr
    assertion = next(call for call in google.calls if call.path == "/token").form()["assertion"]
    claims = json.loads(_b64(assertion.split(".")[1]))
    assert claims["scope"].split() == [
        CLOUD_PLATFORM,
        "https://www.googleapis.com/auth/userinfo.email",
    ]


def test_a_bad_scope_is_bad_input() -> None:
    result = invoke(*MODEL_ARGS, "--scopes", "$(id)")
    assert result.exit_code == 2
    assert "is not an OAuth scope" in result.stderr


def test_metadata_server_gives_token_project_and_account(google: FakeGoogle) -> None:
    # google-auth reads GCE_METADATA_HOST when imported: a fresh process sees this one.
    env = {**os.environ, "GCE_METADATA_HOST": f"127.0.0.1:{google.port}"}
    env["GCE_METADATA_IP"] = env["GCE_METADATA_HOST"]
    result = run(*MODEL_ARGS, "--verbose", env=env)
    assert result.returncode == 0, result.stderr
    values = exported(result.stdout)
    assert google.valid(values["OPENAI_API_KEY"])
    assert "/projects/demo-project/" in values["OPENAI_BASE_URL"]
    assert f"metadata server {google.sa_email}" in result.stderr
    token_call = next(c for c in google.calls if c.path.endswith("/default/token"))
    assert token_call.query["scopes"] == [CLOUD_PLATFORM]


class FakeTransport(google.auth.transport.Request):
    """Stands in for Google's fixed user-credential token host, which a test cannot reach."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.deadline = Deadline(5.0)
        self.status, self.body = status, body
        self.calls: list[tuple[str, bytes]] = []
        self.last = Exchange()

    def __call__(
        self,
        url: Any,
        method: Any = "GET",
        body: Any = None,
        headers: Any = None,
        timeout: Any = None,
        **kwargs: Any,
    ) -> Any:
        self.calls.append((url, body))
        status, data = self.status, json.dumps(self.body).encode()

        class Response(google.auth.transport.Response):
            @property
            def status(self) -> int:
                return status

            @property
            def headers(self) -> dict[str, str]:
                return {"content-type": "application/json"}

            @property
            def data(self) -> bytes:
                return data

        return Response()


def user_adc(google: FakeGoogle, tmp_path: Path) -> Found:
    content = json.dumps(google.authorized_user_info()).encode()
    return from_file(
        CredentialsFile(str(tmp_path / "adc.json"), "gcloud application-default login", content)
    )


def test_user_credentials_refresh_with_their_refresh_token(
    google: FakeGoogle, tmp_path: Path
) -> None:
    found = user_adc(google, tmp_path)
    assert (found.info.kind, found.info.quota_project) == ("authorized_user", "demo-project")
    transport = FakeTransport(200, {"access_token": "ya29.user-token", "expires_in": 3599})
    adc.refresh(found.credentials, found.info, transport)  # type: ignore[arg-type]
    ((url, body),) = transport.calls
    assert url == "https://oauth2.googleapis.com/token"
    assert f"refresh_token={google.refresh_token}" in body.decode()
    assert found.credentials.token == "ya29.user-token"


def test_an_expired_user_login_names_the_login_command(google: FakeGoogle, tmp_path: Path) -> None:
    found = user_adc(google, tmp_path)
    transport = FakeTransport(400, {"error": "invalid_grant", "error_description": "Bad Request"})
    with pytest.raises(CredentialsError, match="expired or was revoked") as caught:
        adc.refresh(found.credentials, found.info, transport)  # type: ignore[arg-type]
    assert caught.value.fix == "gcloud auth application-default login"


def test_gcloud_adc_file_is_found_without_the_variable(google: FakeGoogle, tmp_path: Path) -> None:
    gcloud = Path(os.environ["CLOUDSDK_CONFIG"])
    gcloud.mkdir()
    (gcloud / "application_default_credentials.json").write_text(
        google.service_account_file(tmp_path).read_text()
    )
    minted = fetch(TokenRequest(), os.environ, Deadline(10))
    assert google.valid(minted.token.value)
    assert minted.credential.origin.startswith("gcloud application-default login")


def test_workload_identity_federation_exchanges_the_subject_token(
    google: FakeGoogle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = google.external_account_file(tmp_path)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    result = invoke(*MODEL_ARGS, "--project", "my-proj")
    assert result.exit_code == 0, result.stderr
    exchange = next(call for call in google.calls if call.path == "/token").form()
    assert exchange["subject_token"] == (tmp_path / "oidc-token").read_text()
    assert exchange["scope"] == CLOUD_PLATFORM
    assert google.valid(exported(result.stdout)["OPENAI_API_KEY"])


def test_impersonated_service_account_file(
    google: FakeGoogle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = json.loads(google.service_account_file(tmp_path).read_text())
    target = "vertex@demo-project.iam.gserviceaccount.com"
    config = {
        "type": "impersonated_service_account",
        "service_account_impersonation_url": f"{google.url}/v1/projects/-/serviceAccounts/"
        f"{target}:generateAccessToken",
        "source_credentials": source,
        "delegates": [],
    }
    path = tmp_path / "impersonated.json"
    path.write_text(json.dumps(config))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    result = invoke(*MODEL_ARGS, "--project", "my-proj", "--verbose")
    assert result.exit_code == 0, result.stderr
    assert google.count(f"/v1/projects/-/serviceAccounts/{target}:generateAccessToken") == 1
    assert google.valid(exported(result.stdout)["OPENAI_API_KEY"])
    assert "impersonated service account" in result.stderr


def test_no_credentials_at_all_fails_fast_and_names_the_login(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The real discovery, metadata probe included (its host unset: Google's own address).
    monkeypatch.delenv("GCE_METADATA_HOST")
    monkeypatch.delenv("GCE_METADATA_IP")
    started = time.monotonic()
    result = run(*MODEL_ARGS, "--project", "my-proj")
    assert time.monotonic() - started < 5
    assert result.returncode == 1
    assert result.stdout == ""
    adc = Path(os.environ["CLOUDSDK_CONFIG"]) / "application_default_credentials.json"
    assert result.stderr.splitlines() == [
        "vertex-openai-env: error: no Google credentials found: log in, set "
        "GOOGLE_APPLICATION_CREDENTIALS, or run on Google Cloud (looked at "
        f"$GOOGLE_APPLICATION_CREDENTIALS: unset; {adc}: none; no metadata server answered)",
        "  fix: gcloud auth application-default login",
    ]


@pytest.mark.parametrize(
    ("environ", "product", "plausible"),
    [
        ({"NO_GCE_CHECK": "true", "K_SERVICE": "svc"}, "Google Compute Engine", False),
        ({"GCE_METADATA_HOST": "127.0.0.1:1"}, "ThinkPad", True),
        ({"K_SERVICE": "my-service"}, None, True),
        ({}, "Google Compute Engine", True),
        ({}, "ThinkPad X1", False),
        ({}, None, True),
    ],
)
def test_metadata_probe_only_where_google_cloud_is_plausible(
    environ: dict[str, str],
    product: str | None,
    plausible: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dmi = tmp_path / "product_name"
    if product is not None:
        dmi.write_text(product + "\n")
    monkeypatch.setattr(metadata, "_DMI_PRODUCT", str(dmi))
    assert metadata.plausible(environ) is plausible


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("{}", 'has no "type": it is not a Google credentials file'),
        ("not json", "is not valid JSON (line 1)"),
        ('{"type": "service_account",\n "private_key": "-----BEGIN', "is not valid JSON (line 2)"),
        ("[]", "is not a JSON object"),
        ('{"type": "martian"}', 'has type "martian"'),
        ('{"type": "service_account"}', "cannot be used: the file has no client_email"),
        (
            '{"type": "service_account", "client_email": "a@b.iam.gserviceaccount.com",'
            ' "token_uri": "https://oauth2.googleapis.com/token",'
            ' "private_key": "-----BEGIN PRIVATE KEY-----\\nbm90IGEga2V5\\n-----END PRIVATE KEY-----"}',
            "(service account key) cannot be used: the private key cannot be read",
        ),
        (
            '{"type": "service_account", "client_email": "a@b.iam.gserviceaccount.com",'
            ' "token_uri": "https://oauth2.googleapis.com/token",'
            ' "private_key": "-----BEGIN PRIVATE KEY-----\\nnot base64!\\n-----END PRIVATE KEY-----"}',
            "cannot be used: the private key cannot be read",
        ),
    ],
)
def test_broken_credential_files_are_explained(
    content: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "creds.json"
    path.write_text(content)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    result = invoke(*MODEL_ARGS, "--project", "my-proj")
    assert result.exit_code == 1
    assert message in result.stderr
    assert "(" not in result.stderr.split(message)[1].split("\n")[0]  # nothing trails it
    # A login cannot help while the variable names a broken file.
    assert "fix: unset GOOGLE_APPLICATION_CREDENTIALS" in result.stderr
    assert result.stdout == ""


def test_a_missing_credentials_file_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "gone.json"))
    result = invoke(*MODEL_ARGS, "--project", "my-proj")
    assert result.exit_code == 1
    assert f"$GOOGLE_APPLICATION_CREDENTIALS names {tmp_path / 'gone.json'}" in result.stderr
    assert "fix: unset GOOGLE_APPLICATION_CREDENTIALS" in result.stderr


def test_a_refused_key_is_explained_without_the_server_text_secrets(
    google: FakeGoogle, service_account: Path
) -> None:
    secret = "ya29." + "s" * 40
    google.fail_next(
        "/token",
        lambda call: json_reply(
            400, {"error": "invalid_grant", "error_description": f"bad {secret}"}
        ),
    )
    result = invoke(*MODEL_ARGS)
    assert result.exit_code == 1
    assert "answered HTTP 400 to the service account key (invalid_grant: bad …)" in result.stderr
    assert secret not in result.stderr


def test_a_token_endpoint_that_is_down_is_reported(service_account: Path) -> None:
    info = json.loads(service_account.read_text())
    info["token_uri"] = f"http://127.0.0.1:{closed_port()}/token"
    service_account.write_text(json.dumps(info))
    result = invoke(*MODEL_ARGS)
    assert result.exit_code == 1
    assert "could not connect to http://127.0.0.1:" in result.stderr


def test_a_token_with_shell_syntax_is_refused(google: FakeGoogle, service_account: Path) -> None:
    google.fail_next(
        "/token",
        lambda call: json_reply(200, {"access_token": "x';touch PWNED;'", "expires_in": 3600}),
    )
    result = invoke(*MODEL_ARGS)
    assert result.exit_code == 1
    assert "not an OAuth access token" in result.stderr
    assert "PWNED" not in result.stderr
    assert result.stdout == ""


def _b64(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_loading_a_federation_file_makes_no_network_call(
    google: FakeGoogle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # google-auth's loader asks Cloud Resource Manager for the project of a scoped external
    # account; loaded without scopes, as here, it must not send anything anywhere.
    from google.auth.transport import requests as transport

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the loader made a network call")

    monkeypatch.setattr(transport.Request, "__call__", no_network)
    path = google.external_account_file(tmp_path)  # its audience names project number 123
    found = from_file(
        CredentialsFile(str(path), "$GOOGLE_APPLICATION_CREDENTIALS", path.read_bytes())
    )
    assert found.info.kind == "external_account"
    assert google.calls == []
