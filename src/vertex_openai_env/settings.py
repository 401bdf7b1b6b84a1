"""Resolving every setting from flags, environment and gcloud's files, with its origin."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from types import MappingProxyType
from typing import NamedTuple

from . import urls
from .durations import parse_duration, spoken
from .errors import InputError, shown
from .gcloud_config import GcloudConfig, active_config
from .tokens import CLOUD_PLATFORM, TokenRequest

Candidate = tuple[str, Callable[[], "str | None"]]

ENV_PREFIX = "VERTEX_OPENAI_ENV_"
TOKEN_SOURCES = ("google-auth", "gcloud")
MAX_LIFETIME = 12 * 3600
_ACCOUNT = r"[a-z0-9][a-z0-9._-]{0,99}@[a-z0-9][a-z0-9.-]*\.[a-z]{2,}|[0-9]{1,30}"


class Sourced(NamedTuple):
    """A setting's value and where it came from (`--project`, `$GOOGLE_CLOUD_PROJECT`, ...)."""

    value: str
    source: str

    def origin(self) -> str:
        """`from --project`, or `default` for a built-in value."""
        return self.source if self.source.startswith("default") else f"from {self.source}"


class Flags(NamedTuple):
    """The settings given on the command line; None means not given."""

    project: str | None = None
    location: str | None = None
    model: str | None = None
    endpoint: str | None = None
    api_version: str | None = None
    api_endpoint: str | None = None
    token_source: str | None = None
    impersonate: str | None = None
    lifetime: str | None = None
    quota_project: str | None = None
    scopes: tuple[str, ...] = ()
    timeout: float = 10.0


class Settings(NamedTuple):
    """Everything that decides the base URL and the token, each value with its origin."""

    project: Sourced | None
    location: Sourced
    target: urls.Target
    target_source: str
    api_version: Sourced
    api_root: Sourced | None
    token: TokenRequest = TokenRequest()
    token_origins: Mapping[str, Sourced] = MappingProxyType({})
    notes: tuple[str, ...] = ()
    dedicated_dns: str | None = None  # a dedicated endpoint's own host, once looked up

    def with_credentials_project(self, project: str | None) -> Settings:
        """Fill in the project from the credentials when nothing else named one."""
        if self.project is not None:
            return self
        if not project:
            raise InputError(
                "no project: pass --project, set GOOGLE_CLOUD_PROJECT, "
                "or set gcloud's default project",
                fix="gcloud config set project PROJECT_ID",
            )
        source = "the credentials"
        return self._replace(project=Sourced(_checked(source, project, urls.check_project), source))

    def base_url(self) -> str:
        """The OPENAI_BASE_URL these settings describe (the project must be known)."""
        if self.project is None:
            raise ValueError("base_url() needs the project; call with_credentials_project first")
        root = f"https://{self.dedicated_dns}" if self.dedicated_dns else self.rest_root()
        return urls.base_url(
            self.project.value, self.location.value, self.target, self.api_version.value, root
        )

    def rest_root(self) -> str:
        """Where the Vertex AI REST API for this location is: --api-endpoint or Google's host."""
        if self.api_root:
            return self.api_root.value
        return f"https://{urls.default_host(self.location.value)}"

    def origins(self) -> dict[str, Sourced]:
        """Each setting shown as text with its origin, for --verbose and JSON output."""
        target = self.target
        shown: dict[str, Sourced | None] = {
            "project": self.project,
            "location": self.location,
            target.kind: Sourced(target.id, self.target_source) if target.id else None,
            "api_version": self.api_version,
            "api_endpoint": self.api_root,
            "dedicated_dns": Sourced(self.dedicated_dns, "the endpoint")
            if self.dedicated_dns
            else None,
            **self.token_origins,
        }
        return {name: value for name, value in shown.items() if value is not None}


class _Sources:
    """Candidate values by origin; gcloud's files are read only if a lookup reaches them."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    @cached_property
    def gcloud(self) -> GcloudConfig:
        return active_config(self.environ)

    def flag(self, name: str, value: str | None) -> Candidate:
        return f"--{name}", lambda: value

    def env(self, name: str) -> Candidate:
        return f"${name}", lambda: self.environ.get(name) or None

    def gcloud_property(self, key: str) -> Candidate:
        return f"gcloud config {key}", lambda: self.gcloud.get(key)


def resolve(flags: Flags, environ: Mapping[str, str], target_required: bool = True) -> Settings:
    """Resolve every setting by the precedence of SPEC §3, validating as it goes.

    Without `target_required`, a missing target means managed models in general.
    """
    sources = _Sources(environ)
    target, target_source = _resolve_target(flags, environ, target_required)
    project = _first(
        (
            sources.flag("project", flags.project),
            sources.env(ENV_PREFIX + "PROJECT"),
            sources.env("GOOGLE_CLOUD_PROJECT"),
            sources.env("CLOUDSDK_CORE_PROJECT"),
            sources.gcloud_property("core/project"),
        ),
        urls.check_project,
    )
    location = _first(
        (
            sources.flag("location", flags.location),
            sources.env(ENV_PREFIX + "LOCATION"),
            sources.env("GOOGLE_CLOUD_LOCATION"),
            sources.env("CLOUDSDK_AI_REGION"),
            sources.gcloud_property("ai/region"),
        ),
        urls.check_location,
    )
    notes: list[str] = []
    if location is None:
        location = _default_location(target)
        notes.append(
            "no location given: using 'global' "
            "(choose one with --location or GOOGLE_CLOUD_LOCATION)"
        )
    else:
        note = urls.unknown_region_note(location.value)
        if note:
            notes.append(note)
    urls.check_target_location(target, location.value)
    api_version = _first(
        (
            sources.flag("api-version", flags.api_version),
            sources.env(ENV_PREFIX + "API_VERSION"),
        ),
        urls.check_api_version,
    ) or Sourced(urls.DEFAULT_API_VERSION, "default")
    api_root = _first(
        (
            sources.flag("api-endpoint", flags.api_endpoint),
            sources.env(ENV_PREFIX + "API_ENDPOINT"),
        ),
        urls.api_root,
    )
    token, token_origins = _resolve_token(flags, sources)
    return Settings(
        project,
        location,
        target,
        target_source,
        api_version,
        api_root,
        token,
        MappingProxyType(token_origins),
        tuple(notes),
    )


def _resolve_token(flags: Flags, sources: _Sources) -> tuple[TokenRequest, dict[str, Sourced]]:
    """The token source, impersonation chain, lifetime and quota project (SPEC §4)."""
    source = _first(
        (
            sources.flag("token-source", flags.token_source),
            sources.env(ENV_PREFIX + "TOKEN_SOURCE"),
        ),
        _check_token_source,
    ) or Sourced("google-auth", "default")
    impersonate = _first(
        (
            sources.flag("impersonate-service-account", flags.impersonate),
            sources.env("CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT"),
            sources.gcloud_property("auth/impersonate_service_account"),
        ),
        _check_accounts,
    )
    quota_project = _first(
        (
            sources.flag("quota-project", flags.quota_project),
            sources.env("GOOGLE_CLOUD_QUOTA_PROJECT"),
            sources.gcloud_property("billing/quota_project"),
        ),
        urls.check_project,
    )
    lifetime = None
    if flags.lifetime is not None:
        lifetime = _check_lifetime(parse_duration(flags.lifetime, "--lifetime"), impersonate)
    request = TokenRequest(
        source=source.value,
        scopes=_parse_scopes(flags.scopes),
        impersonate=tuple(impersonate.value.split(",")) if impersonate else (),
        lifetime=lifetime,
        quota_project=quota_project.value if quota_project else None,
        timeout=flags.timeout,
    )
    origins = {"token_source": source}
    if impersonate:
        origins["impersonate_service_account"] = impersonate
    if quota_project:
        origins["quota_project"] = quota_project
    return request, origins


def _check_token_source(value: str) -> str:
    if value in TOKEN_SOURCES:
        return value
    raise InputError(f"token source {shown(value)} is not one of {', '.join(TOKEN_SOURCES)}")


def _check_accounts(value: str) -> str:
    """A service account, or a comma-separated delegation chain ending in the target."""
    for account in value.split(","):
        if not re.fullmatch(_ACCOUNT, account):
            raise InputError(
                f"service account {shown(account)} is not a service-account email "
                "(such as vertex@my-proj.iam.gserviceaccount.com)"
            )
    return value


def _check_lifetime(seconds: int, impersonate: Sourced | None) -> int:
    if impersonate is None:
        raise InputError(
            f"--lifetime {spoken(seconds)} needs --impersonate-service-account: only tokens "
            "of impersonated service accounts have a chosen lifetime; others last 1h",
            fix="vertex-openai-env --impersonate-service-account SA_EMAIL --lifetime 12h ...",
        )
    if not 60 <= seconds <= MAX_LIFETIME:
        raise InputError(f"--lifetime {spoken(seconds)} is outside 1m to 12h")
    return seconds


_SCOPE_PREFIX = "https://www.googleapis.com/auth/"
_SCOPE = r"https://[A-Za-z0-9.-]+(?:/[A-Za-z0-9._-]+)+"
_SHORT_SCOPE = r"[a-z0-9][a-z0-9._-]*"


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


def _resolve_target(
    flags: Flags, environ: Mapping[str, str], required: bool
) -> tuple[urls.Target, str]:
    levels = (
        ("--model", flags.model, "--endpoint", flags.endpoint),
        (
            f"${ENV_PREFIX}MODEL",
            environ.get(ENV_PREFIX + "MODEL") or None,
            f"${ENV_PREFIX}ENDPOINT",
            environ.get(ENV_PREFIX + "ENDPOINT") or None,
        ),
    )
    for model_source, model, endpoint_source, endpoint in levels:
        if model is not None and endpoint is not None:
            raise InputError(f"{model_source} and {endpoint_source} exclude each other: give one")
        if model is not None:
            checked = _checked(model_source, model, urls.check_model)
            return urls.Target("model", checked), model_source
        if endpoint is not None:
            checked = _checked(endpoint_source, endpoint, urls.check_endpoint_id)
            return urls.Target("endpoint", checked), endpoint_source
    if not required:
        return urls.ANY_MODEL, "default"
    raise InputError(
        "no target: pass --model MODEL_ID (such as gemini-2.5-flash) "
        "or --endpoint ENDPOINT_ID (a model you deployed)",
        fix="gcloud ai endpoints list --region=REGION  # to find endpoint IDs",
    )


def _default_location(target: urls.Target) -> Sourced:
    if target.kind == "endpoint":
        raise InputError(
            f"endpoint '{target.id}' needs its region: pass --location REGION "
            "or set GOOGLE_CLOUD_LOCATION",
            fix="gcloud config set ai/region REGION",
        )
    return Sourced(urls.GLOBAL, "default for models")


def _first(candidates: Iterable[Candidate], check: Callable[[str], str]) -> Sourced | None:
    """The first candidate that has a value, validated; None when none has one."""
    for source, read in candidates:
        value = read()
        if value is not None:
            return Sourced(_checked(source, value, check), source)
    return None


def _checked(source: str, value: str, check: Callable[[str], str]) -> str:
    try:
        return check(value)
    except InputError as exc:
        raise InputError(f"{exc.message} (from {source})", exc.fix) from exc
