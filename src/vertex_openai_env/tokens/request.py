"""What token to ask for: source, scopes, impersonation, lifetime and quota project.

Resolved like the place (flag, then environment, then gcloud's files), each with its origin.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from ..durations import parse_duration, spoken
from ..errors import InputError, shown
from ..settings import urls
from ..settings.sources import ENV_PREFIX, Sourced, Sources, first
from .registry import DEFAULT, SOURCES
from .types import CLOUD_PLATFORM, MAX_LIFETIME, TokenRequest

_ACCOUNT = r"[a-z0-9][a-z0-9._-]{0,99}@[a-z0-9][a-z0-9.-]*\.[a-z]{2,}|[0-9]{1,30}"
_SCOPE_PREFIX = "https://www.googleapis.com/auth/"
_SCOPE = r"https://[A-Za-z0-9.-]+(?:/[A-Za-z0-9._-]+)+"
_SHORT_SCOPE = r"[a-z0-9][a-z0-9._-]*"


class TokenFlags(NamedTuple):
    """The token settings as given on the command line (or to the Python API)."""

    token_source: str | None = None
    impersonate: str | None = None
    lifetime: str | None = None
    quota_project: str | None = None
    scopes: tuple[str, ...] = ()


def resolve_token(flags: TokenFlags, sources: Sources) -> tuple[TokenRequest, dict[str, Sourced]]:
    """The token request, and where each of its settings came from."""
    spell = sources.spell
    source = first(
        (
            sources.flag("token-source", flags.token_source),
            sources.env(ENV_PREFIX + "TOKEN_SOURCE"),
        ),
        _check_token_source,
    ) or Sourced(DEFAULT, "default")
    impersonate = first(
        (
            sources.flag("impersonate-service-account", flags.impersonate),
            sources.env("CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT"),
            sources.gcloud_property("auth/impersonate_service_account"),
        ),
        _check_accounts,
    )
    quota_project = first(
        (
            sources.flag("quota-project", flags.quota_project),
            sources.env("GOOGLE_CLOUD_QUOTA_PROJECT"),
            sources.gcloud_property("billing/quota_project"),
        ),
        urls.check_project,
    )
    lifetime = None
    if flags.lifetime is not None:
        seconds = parse_duration(flags.lifetime, spell("lifetime"))
        lifetime = _check_lifetime(seconds, impersonate, spell)
    request = TokenRequest(
        source=source.value,
        scopes=_parse_scopes(flags.scopes),
        impersonate=tuple(impersonate.value.split(",")) if impersonate else (),
        lifetime=lifetime,
        quota_project=quota_project.value if quota_project else None,
    )
    origins = {"token_source": source}
    if impersonate:
        origins["impersonate_service_account"] = impersonate
    if quota_project:
        origins["quota_project"] = quota_project
    return request, origins


def _check_token_source(value: str) -> str:
    if value in SOURCES:
        return value
    raise InputError(f"token source {shown(value)} is not one of {', '.join(SOURCES)}")


def _check_accounts(value: str) -> str:
    """A service account, or a comma-separated delegation chain ending in the target."""
    for account in value.split(","):
        if not re.fullmatch(_ACCOUNT, account):
            raise InputError(
                f"service account {shown(account)} is not a service-account email "
                "(such as vertex@my-proj.iam.gserviceaccount.com)"
            )
    return value


def _check_lifetime(seconds: int, impersonate: Sourced | None, spell: Callable[[str], str]) -> int:
    option = spell("lifetime")
    if impersonate is None:
        raise InputError(
            f"{option} {spoken(seconds)} needs {spell('impersonate-service-account')}: only "
            "tokens of impersonated service accounts have a chosen lifetime; others last 1h",
            fix=f"vertex-openai-env --impersonate-service-account SA_EMAIL --lifetime "
            f"{spoken(seconds)} ...",
        )
    if not 60 <= seconds <= MAX_LIFETIME:
        raise InputError(f"{option} {spoken(seconds)} is outside 1m to 12h")
    return seconds


def _parse_scopes(values: tuple[str, ...]) -> tuple[str, ...]:
    """Scopes from `--scopes` (repeatable, comma-separated); `cloud-platform` means its URL."""
    scopes: list[str] = []
    for item in (part.strip() for value in values for part in value.split(",")):
        if re.fullmatch(_SHORT_SCOPE, item):
            item = _SCOPE_PREFIX + item
        if not re.fullmatch(_SCOPE, item):
            raise InputError(
                f"scope {shown(item)} is not an OAuth scope "
                f"(a URL such as {CLOUD_PLATFORM}, or its last part)"
            )
        if item not in scopes:
            scopes.append(item)
    return tuple(scopes) or (CLOUD_PLATFORM,)
