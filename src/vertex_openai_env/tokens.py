"""Access tokens: the `Token` value, what was asked for, and the dispatch to a token source.

The sources themselves live in their own modules and are imported only when used, so a
cache hit or `--help` never loads google-auth.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import NamedTuple

from .errors import TokenSourceError

CREDENTIAL_KINDS = {
    "authorized_user": "user credentials",
    "service_account": "service account key",
    "external_account": "workload identity federation",
    "external_account_authorized_user": "workforce identity federation",
    "impersonated_service_account": "impersonated service account",
    "gdch_service_account": "GDCH service account",
    "metadata_server": "metadata server",
    "gcloud": "gcloud application-default credentials",
}
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
# RFC 6750 b64token: anything else in a "token" is refused before it can reach a shell.
_TOKEN = r"[A-Za-z0-9._~+/-]+=*"  # noqa: S105 - a pattern, not a secret


class Token(NamedTuple):
    """An OAuth access token and the moment it stops working (aware, UTC)."""

    value: str
    expiry: datetime

    def __repr__(self) -> str:
        return f"Token(value=<hidden>, expiry={self.expiry!r})"

    def expires_at(self) -> str:
        """The expiry as RFC 3339 UTC, to the second: `2026-11-25T19:28:37Z`."""
        return self.expiry.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class CredentialInfo(NamedTuple):
    """Who the token speaks for, for --verbose and `check`; never a secret."""

    kind: str
    origin: str
    account: str | None = None
    project: str | None = None
    quota_project: str | None = None
    impersonating: str | None = None


class Minted(NamedTuple):
    """A fresh token and the credential that produced it."""

    token: Token
    credential: CredentialInfo


class TokenRequest(NamedTuple):
    """Everything that decides which token comes back, and how long to wait for it."""

    source: str = "google-auth"
    scopes: tuple[str, ...] = (CLOUD_PLATFORM,)
    impersonate: tuple[str, ...] = ()  # a delegation chain: the target comes last
    lifetime: int | None = None
    quota_project: str | None = None
    timeout: float = 10.0


def checked_token(value: object, source: str) -> str:
    """The token if it is a well-formed bearer token; its text is never echoed."""
    if isinstance(value, str) and re.fullmatch(_TOKEN, value) and len(value) <= 8192:
        return value
    raise TokenSourceError(
        f"{source} returned something that is not an OAuth access token; refusing to use it"
    )


def fetch(request: TokenRequest, environ: Mapping[str, str]) -> Minted:
    """Get a fresh token from the requested source."""
    if request.source == "gcloud":
        from . import gcloud_token

        return gcloud_token.mint(request, environ)
    from . import adc

    return adc.mint(request, environ)
