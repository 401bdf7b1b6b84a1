"""Candidate values by origin, highest first: flags, environment variables, gcloud's files."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from typing import NamedTuple

from ..errors import InputError
from .gcloud_config import GcloudConfig, active_config

Candidate = tuple[str, Callable[[], "str | None"]]
ENV_PREFIX = "VERTEX_OPENAI_ENV_"


class Sourced(NamedTuple):
    """A setting's value and where it came from (`--project`, `$GOOGLE_CLOUD_PROJECT`, ...)."""

    value: str
    source: str

    def origin(self) -> str:
        """`from --project`, or `default` for a built-in value."""
        return self.source if self.source.startswith("default") else f"from {self.source}"


def cli_spelling(name: str) -> str:
    """How the command line names a setting: `--project`."""
    return f"--{name}"


def python_spelling(function: str) -> Callable[[str], str]:
    """How the Python API names a setting of `function`: `base_url(project=...)`."""
    return lambda name: f"{function}({name.replace('-', '_')}=...)"


# How --verbose and `check` name the settings (JSON keeps the names on the left).
_LABELS = {
    "api_version": "API version",
    "api_endpoint": "API endpoint",
    "token_source": "token source",
    "impersonate_service_account": "impersonated account",
    "quota_project": "quota project",
    "dedicated_dns": "dedicated DNS",
}


def described(origins: Mapping[str, Sourced]) -> list[str]:
    """One line per setting: `location: us-central1 (from --location)`."""
    return [
        f"{_LABELS.get(name, name)}: {value.value} ({value.origin()})"
        for name, value in origins.items()
    ]


class Sources:
    """Candidates for each setting; gcloud's files are read only if a lookup reaches them.

    `spell` names a setting the way the caller's user gave it (`--project`,
    `base_url(project=...)`).
    """

    def __init__(
        self, environ: Mapping[str, str], spell: Callable[[str], str] = cli_spelling
    ) -> None:
        self.environ = environ
        self.spell = spell

    @cached_property
    def gcloud(self) -> GcloudConfig:
        return active_config(self.environ)

    def flag(self, name: str, value: str | None) -> Candidate:
        return self.spell(name), lambda: value

    def env(self, name: str) -> Candidate:
        return f"${name}", lambda: self.environ.get(name) or None

    def gcloud_property(self, key: str) -> Candidate:
        return f"gcloud config {key}", lambda: self.gcloud.get(key)


def first(candidates: Iterable[Candidate], check: Callable[[str], str]) -> Sourced | None:
    """The first candidate that has a value, validated; None when none has one."""
    for source, read in candidates:
        value = read()
        if value is not None:
            return Sourced(checked(source, value, check), source)
    return None


def checked(source: str, value: str, check: Callable[[str], str]) -> str:
    """`check(value)`, with the source named in its error message."""
    try:
        return check(value)
    except InputError as exc:
        raise InputError(f"{exc.message} (from {source})", exc.fix) from exc
