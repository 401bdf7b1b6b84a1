"""Resolving project, location and target from flags, environment and gcloud, with origins."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Generic, TypeVar

from . import urls
from .errors import InputError
from .gcloud_config import active_config

T = TypeVar("T")
Candidate = tuple[str, Callable[[], "str | None"]]

ENV_PREFIX = "VERTEX_OPENAI_ENV_"


@dataclass(frozen=True)
class Sourced(Generic[T]):
    """A setting's value and where it came from (`--project`, `$GOOGLE_CLOUD_PROJECT`, ...)."""

    value: T
    source: str

    def origin(self) -> str:
        """`from --project`, or `default` for a built-in value."""
        return self.source if self.source.startswith("default") else f"from {self.source}"


@dataclass(frozen=True)
class Flags:
    """The settings given on the command line; None means not given."""

    project: str | None = None
    location: str | None = None
    model: str | None = None
    endpoint: str | None = None
    api_version: str | None = None
    api_endpoint: str | None = None


@dataclass(frozen=True)
class Settings:
    """Everything that decides the base URL, each value with its origin."""

    project: Sourced[str] | None
    location: Sourced[str]
    target: Sourced[urls.Target]
    api_version: Sourced[str]
    api_root: Sourced[str] | None
    notes: tuple[str, ...] = ()

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
        return replace(self, project=Sourced(_checked(source, project, urls.check_project), source))

    def base_url(self) -> str:
        """The OPENAI_BASE_URL these settings describe (the project must be known)."""
        if self.project is None:
            raise ValueError("base_url() needs the project; call with_credentials_project first")
        return urls.base_url(
            self.project.value,
            self.location.value,
            self.target.value,
            self.api_version.value,
            self.api_root.value if self.api_root else None,
        )

    def origins(self) -> dict[str, Sourced[str]]:
        """Each setting shown as text with its origin, for --verbose and JSON output."""
        shown: dict[str, Sourced[str] | None] = {
            "project": self.project,
            "location": self.location,
            self.target.value.kind: Sourced(self.target.value.id, self.target.source),
            "api_version": self.api_version,
            "api_endpoint": self.api_root,
        }
        return {name: value for name, value in shown.items() if value is not None}


def resolve(flags: Flags, environ: Mapping[str, str]) -> Settings:
    """Resolve every setting by the precedence of SPEC §3, validating as it goes."""
    gcloud = cache(lambda: active_config(environ))

    def env(name: str) -> Candidate:
        return f"${name}", lambda: environ.get(name) or None

    def gcloud_property(key: str) -> Candidate:
        def value() -> str | None:
            return gcloud().get(key)

        return f"gcloud config {key}", value

    def flag(name: str, value: str | None) -> Candidate:
        return f"--{name}", lambda: value

    target = _resolve_target(flags, environ)
    project = _first(
        (
            flag("project", flags.project),
            env(ENV_PREFIX + "PROJECT"),
            env("GOOGLE_CLOUD_PROJECT"),
            env("CLOUDSDK_CORE_PROJECT"),
            gcloud_property("core/project"),
        ),
        urls.check_project,
    )
    location = _first(
        (
            flag("location", flags.location),
            env(ENV_PREFIX + "LOCATION"),
            env("GOOGLE_CLOUD_LOCATION"),
            env("CLOUDSDK_AI_REGION"),
            gcloud_property("ai/region"),
        ),
        urls.check_location,
    )
    notes: list[str] = []
    if location is None:
        location = _default_location(target.value)
        notes.append(
            "no location given: using 'global' "
            "(choose one with --location or GOOGLE_CLOUD_LOCATION)"
        )
    else:
        note = urls.unknown_region_note(location.value)
        if note:
            notes.append(note)
    urls.check_target_location(target.value, location.value)
    api_version = _first(
        (flag("api-version", flags.api_version), env(ENV_PREFIX + "API_VERSION")),
        urls.check_api_version,
    ) or Sourced(urls.DEFAULT_API_VERSION, "default")
    api_root = _first(
        (flag("api-endpoint", flags.api_endpoint), env(ENV_PREFIX + "API_ENDPOINT")),
        urls.api_root,
    )
    return Settings(project, location, target, api_version, api_root, tuple(notes))


def _resolve_target(flags: Flags, environ: Mapping[str, str]) -> Sourced[urls.Target]:
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
            return Sourced(urls.Target("model", checked), model_source)
        if endpoint is not None:
            checked = _checked(endpoint_source, endpoint, urls.check_endpoint_id)
            return Sourced(urls.Target("endpoint", checked), endpoint_source)
    raise InputError(
        "no target: pass --model MODEL_ID (such as gemini-2.5-flash) "
        "or --endpoint ENDPOINT_ID (a model you deployed)",
        fix="gcloud ai endpoints list --region=REGION  # to find endpoint IDs",
    )


def _default_location(target: urls.Target) -> Sourced[str]:
    if target.kind == "endpoint":
        raise InputError(
            f"endpoint '{target.id}' needs its region: pass --location REGION "
            "or set GOOGLE_CLOUD_LOCATION",
            fix="gcloud config set ai/region REGION",
        )
    return Sourced(urls.GLOBAL, "default for models")


def _first(candidates: Iterable[Candidate], check: Callable[[str], str]) -> Sourced[str] | None:
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
