"""Tokens and what is known about them: plain values, no I/O, nothing heavy to import."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from ..errors import TokenSourceError

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
LOGIN = "gcloud auth application-default login"
# What helps when a file of this type stops working.
FIXES = {
    "authorized_user": LOGIN,
    "service_account": "gcloud iam service-accounts keys create KEY.json --iam-account=EMAIL",
    "external_account": "gcloud iam workload-identity-pools create-cred-config ...  # regenerate",
    "metadata_server": "gcloud compute instances describe INSTANCE "
    "--format='value(serviceAccounts)'",
    "impersonated_service_account": "gcloud iam service-accounts describe SA_EMAIL",
}

DEFAULT_LIFETIME = 3600  # what Google issues unless a lifetime is asked for
# --token-source's default: Application Default Credentials read in-process by google-auth.
# Named here, beside the request it defaults, for registry.py, whose table holds its module.
DEFAULT_SOURCE = "google-auth"
MAX_LIFETIME = 12 * 3600  # the most Google issues, and only to impersonated accounts
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

    def seconds_left(self) -> float:
        """Seconds until the token stops working; negative once it has."""
        return (self.expiry - datetime.now(timezone.utc)).total_seconds()


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
    """Everything that decides which token comes back (and so keys the cache)."""

    source: str = DEFAULT_SOURCE
    scopes: tuple[str, ...] = (CLOUD_PLATFORM,)
    impersonate: tuple[str, ...] = ()  # a delegation chain: the target comes last
    lifetime: int | None = None
    quota_project: str | None = None

    @property
    def known_lifetime(self) -> int:
        """How long a fresh token will last: the lifetime asked for, else Google's default."""
        return self.lifetime or DEFAULT_LIFETIME


def fix_for(kind: str, account: str | None) -> str:
    """The command that helps credentials of `kind`, with their account filled in."""
    fix = FIXES.get(kind, LOGIN)
    if account:  # the account comes from a file: quoted, it is one argument
        import shlex

        fix = re.sub(r"\b(?:SA_)?EMAIL\b", lambda _: shlex.quote(account), fix)
    return fix


def checked_token(value: object, source: str) -> str:
    """The token if it is a well-formed bearer token; its text is never echoed."""
    if isinstance(value, str) and len(value) <= 8192 and re.fullmatch(_TOKEN, value):
        return value
    raise TokenSourceError(
        f"{source} returned something that is not an OAuth access token; refusing to use it"
    )


def sane_expiry(expiry: datetime, source: str) -> datetime:
    """`expiry` if a real token could have it: not past, and at most 12 hours away (later is
    clamped, so that nothing is trusted or cached for longer than Google ever issues)."""
    now = datetime.now(timezone.utc)
    if expiry <= now:
        raise TokenSourceError(
            f"{source} returned a token that has already expired ({expiry.isoformat()}); "
            "is this machine's clock right?"
        )
    return min(expiry, now + timedelta(seconds=MAX_LIFETIME))
