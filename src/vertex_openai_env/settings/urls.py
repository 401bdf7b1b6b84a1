"""Identifier checks and Vertex AI base-URL building (pure: no I/O).

>>> base_url("my-proj", "us-central1", Target("model", "google/gemini-2.5-flash"))
'https://us-central1-aiplatform.googleapis.com/v1beta1/projects/my-proj/locations/us-central1/endpoints/openapi'
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from ..errors import InputError, shown
from .regions import GLOBAL, MULTI_REGIONS, is_regional, suggest_location

API_VERSIONS = ("v1beta1", "v1")
DEFAULT_API_VERSION = "v1beta1"

_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
# Patterns stay text until first used (`re` caches them): most runs need only a few.
_PROJECT_ID = rf"(?:{_LABEL}(?:\.{_LABEL})+:)?[a-z][a-z0-9-]{{4,28}}[a-z0-9]"
_PROJECT_NUMBER = r"[1-9][0-9]{0,19}"
_REGION = r"[a-z]{1,24}-[a-z]{1,24}[0-9]{1,2}"
_ENDPOINT_ID = r"[0-9]{1,19}|[a-z][a-z0-9-]{0,62}"
# ASCII only: with IGNORECASE alone, U+017F (long s) would match `s`, U+212A (Kelvin) `k`.
HOST_PATTERN = rf"(?ia){_LABEL}(?:\.{_LABEL})*"
_URL_CHARS = r"[A-Za-z0-9._~:/\[\]-]+"
_URL_PATH = r"(?:/[A-Za-z0-9._~-]+)*/?"


class Target(NamedTuple):
    """What the requests go to: a managed model (by ID) or a deployed endpoint (by ID)."""

    kind: Literal["model", "endpoint"]
    id: str

    @property
    def path_segment(self) -> str:
        """The last segment of the base URL: managed models all share `openapi`."""
        return "openapi" if self.kind == "model" else self.id

    @property
    def model(self) -> str | None:
        """The model ID to export (OPENAI_MODEL); None when the target is an endpoint."""
        return self.id if self.kind == "model" else None


ANY_MODEL = Target("model", "")  # managed models in general: they share one base URL


def check_project(value: str) -> str:
    """Return a valid project ID (or number), or raise InputError saying why not."""
    if re.fullmatch(_PROJECT_ID, value) or re.fullmatch(_PROJECT_NUMBER, value):
        return value
    raise InputError(
        f"project {shown(value)} is not a Google Cloud project ID "
        "(6-30 lowercase letters, digits and hyphens, starting with a letter)",
        fix="gcloud projects list",
    )


def check_location(value: str) -> str:
    """Return a well-formed location, or raise InputError with a "did you mean"."""
    if value in (GLOBAL, *MULTI_REGIONS) or re.fullmatch(_REGION, value):
        return value
    hint = suggest_location(value)
    message = f"location {shown(value)} is not a Vertex AI location"
    if hint:
        raise InputError(f"{message}; did you mean '{hint}'?")
    raise InputError(f"{message} (use global, us, eu or a region such as us-central1)")


def check_endpoint_id(value: str) -> str:
    """Return a valid Vertex endpoint ID (numeric, or a user-chosen name), or raise."""
    if re.fullmatch(_ENDPOINT_ID, value):
        return value
    raise InputError(
        f"endpoint {shown(value)} is not a Vertex endpoint ID (digits, or up to 63 "
        "lowercase letters, digits and hyphens starting with a letter)",
        fix="vertex-openai-env endpoints --location REGION  # lists a region's endpoints",
    )


def check_regional(location: str, option: str = "--location", defaulted: bool = False) -> None:
    """Endpoints live in one region: global and the multi-regions cannot hold them."""
    if not is_regional(location):
        hint = " (no location given)" if defaulted else ""
        raise InputError(
            f"endpoints live in a region, not in '{location}'{hint}: pass {option} REGION",
            fix="vertex-openai-env endpoints --location REGION  # lists a region's endpoints",
        )


def check_api_version(value: str) -> str:
    """Return `v1beta1` or `v1`, or raise InputError."""
    if value in API_VERSIONS:
        return value
    raise InputError(f"API version {shown(value)} is not one of {', '.join(API_VERSIONS)}")


def default_host(location: str) -> str:
    """The shared Vertex AI host serving `location`."""
    if location == GLOBAL:
        # There is no `global-aiplatform` host: global lives on the bare service name.
        return "aiplatform.googleapis.com"
    if location in MULTI_REGIONS:
        return f"aiplatform.{location}.rep.googleapis.com"
    return f"{location}-aiplatform.googleapis.com"


def api_root(value: str) -> str:
    """Turn `--api-endpoint` (a host, host:port or http(s) URL) into a root URL, no slash.

    >>> api_root("example.com:8443")
    'https://example.com:8443'
    >>> api_root("http://127.0.0.1:9000/proxy/")
    'http://127.0.0.1:9000/proxy'
    """
    bad = InputError(
        f"API endpoint {shown(value)} is not a host name or an http(s) URL "
        "(such as us-central1-aiplatform.googleapis.com or https://proxy.example:8443)"
    )
    if not re.fullmatch(_URL_CHARS, value):
        # urlsplit silently drops tabs and newlines: refuse them before it sees them. No @,
        # ? or #: no user name, query or fragment gets this far.
        raise bad
    import urllib.parse

    try:  # each of these refuses some malformed URLs (a bracketed name, a bad port)
        parts = urllib.parse.urlsplit(value if "://" in value else f"https://{value}")
        port = parts.port
        host = parts.hostname or ""
    except ValueError as exc:
        raise bad from exc
    valid_host = bool(re.fullmatch(HOST_PATTERN, host)) or _is_ip(host)
    if (
        parts.scheme not in ("http", "https")
        or not valid_host
        or parts.netloc.endswith(":")  # `https:/host` would otherwise name a host `https`
        or not re.fullmatch(_URL_PATH, parts.path)
    ):
        raise bad
    if parts.scheme == "http" and not _is_loopback(host):
        raise InputError(
            f"refusing to send an access token over plain http to {shown(host)}; "
            "use an https URL (plain http is allowed for loopback only)"
        )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


def base_url(
    project: str,
    location: str,
    target: Target,
    api_version: str = DEFAULT_API_VERSION,
    root: str | None = None,
) -> str:
    """The OPENAI_BASE_URL for a target; `root` replaces the default https host."""
    root = root or f"https://{default_host(location)}"
    return (
        f"{root}/{api_version}/projects/{project}/locations/{location}"
        f"/endpoints/{target.path_segment}"
    )


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    import ipaddress

    return _is_ip(host) and ipaddress.ip_address(host).is_loopback
