"""Credentials files of every type google-auth supports, loaded without a network call."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import google.auth
import google.auth.credentials
import google.auth.exceptions

from ..errors import CredentialsError, shown
from . import credentials_file
from .credentials_file import CredentialsFile, broken_fix
from .plain_words import plain
from .types import CREDENTIAL_KINDS, FIXES, LOGIN, CredentialInfo

Credentials = google.auth.credentials.Credentials

# The credential files google-auth loads (their "type").
FILE_KINDS = (
    "authorized_user",
    "service_account",
    "external_account",
    "external_account_authorized_user",
    "impersonated_service_account",
    "gdch_service_account",
)


@dataclass(frozen=True)
class Found:
    """Credentials discovered but not yet refreshed, and what we know about them."""

    credentials: Credentials
    info: CredentialInfo


def from_file(file: CredentialsFile) -> Found:
    """Load a credentials file of any type google-auth supports, without network calls."""
    info = file.json()
    path = file.path
    kind = info.get("type")
    if kind is None:
        raise CredentialsError(
            f'credentials file {path} has no "type": it is not a Google credentials file',
            fix=broken_fix(file.origin),
        )
    if kind not in FILE_KINDS:
        raise CredentialsError(
            f"credentials file {path} has type {shown(str(kind))}, which google-auth "
            "does not support",
            fix=broken_fix(file.origin),
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            credentials, project = _LOADERS.get(kind, _load_any)(info)
    except (google.auth.exceptions.GoogleAuthError, ValueError, KeyError, TypeError) as exc:
        fix = broken_fix(file.origin, FIXES.get(kind, LOGIN))
        raise CredentialsError(
            f"credentials file {path} ({CREDENTIAL_KINDS[kind]}) cannot be used: {plain(exc)}",
            fix=fix,
        ) from exc
    # It travels in a header: checked, so that a stray line break cannot split it.
    quota_project = credentials_file.quota_project(info, path)
    return Found(
        credentials,
        CredentialInfo(
            kind=kind,
            origin=f"{file.origin} ({path})",
            account=info.get("client_email") or info.get("account") or None,
            project=project or None,
            quota_project=quota_project,
        ),
    )


def _load_any(info: dict[str, Any]) -> tuple[Credentials, str | None]:
    # Without scopes, google-auth's loader makes no network call (external accounts ask
    # Cloud Resource Manager for their project only when scoped): the tests check it.
    credentials, project = google.auth.load_credentials_from_dict(info)
    return credentials, project


def _load_impersonated(info: dict[str, Any]) -> tuple[Credentials, str | None]:
    # google-auth keeps only the account from the file's URL and calls Google's IAM host;
    # the file names the whole URL (Private Service Connect, a proxy): honour all of it.
    from google.auth import impersonated_credentials

    url = str(info.get("service_account_impersonation_url") or "")
    account = url.rsplit("/", 1)[-1].removesuffix(":generateAccessToken")
    if not url.endswith(":generateAccessToken") or not account:
        raise ValueError("service_account_impersonation_url does not name a service account")
    source, _ = _load_any(dict(info.get("source_credentials") or {}))
    credentials = impersonated_credentials.Credentials(
        source_credentials=source,
        target_principal=account,
        target_scopes=info.get("scopes") or [],
        delegates=info.get("delegates"),
        quota_project_id=info.get("quota_project_id"),
        iam_endpoint_override=url,
    )
    return credentials, None


def _load_service_account(info: dict[str, Any]) -> tuple[Credentials, str | None]:
    # As google-auth's own loader, less its consistency check of the RSA key (primality
    # tests: 25 ms of a 150 ms export). The key is the user's own and only ever signs a
    # request for a token: a broken one is refused by the token endpoint all the same.
    from cryptography.hazmat.primitives import serialization
    from google.auth.crypt import RSASigner
    from google.oauth2 import service_account

    missing = [name for name in ("client_email", "token_uri", "private_key") if not info.get(name)]
    if missing:
        raise ValueError(f"the file has no {', '.join(missing)}")
    key = serialization.load_pem_private_key(
        str(info["private_key"]).encode(), password=None, unsafe_skip_rsa_key_validation=True
    )
    credentials = service_account.Credentials(
        RSASigner(key, info.get("private_key_id")),
        service_account_email=info["client_email"],
        token_uri=info["token_uri"],
        project_id=info.get("project_id"),
        quota_project_id=info.get("quota_project_id"),
        universe_domain=info.get("universe_domain", "googleapis.com"),
        trust_boundary=info.get("trust_boundary"),
    )
    return credentials, info.get("project_id")


_LOADERS = {
    "service_account": _load_service_account,
    "impersonated_service_account": _load_impersonated,
}
