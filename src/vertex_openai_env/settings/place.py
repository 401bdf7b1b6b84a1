"""Where requests go: project, location, target, API version and host, each with its origin.

`resolve` gives a `Place`, whose project may still be unknown (it can come from the
credentials); `Place.destination` then gives the `Destination`, project known, URL built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ..errors import InputError
from . import urls
from .models import check_model, model_notes
from .regions import GLOBAL, unknown_region_note
from .sources import ENV_PREFIX, Sourced, Sources, checked, cli_spelling, first


class Flags(NamedTuple):
    """The place as given on the command line (or to the Python API); None: not given."""

    project: str | None = None
    location: str | None = None
    model: str | None = None
    endpoint: str | None = None
    api_version: str | None = None
    api_endpoint: str | None = None


class Destination(NamedTuple):
    """Everything a request needs to find its way: the project known, the base URL built."""

    project: Sourced
    location: Sourced
    target: urls.Target
    target_source: str
    api_version: Sourced
    api_root: Sourced | None
    dedicated_dns: str | None = None  # a dedicated endpoint's own host, once looked up

    @property
    def rest_root(self) -> str:
        """Where the Vertex AI REST API for this location is: --api-endpoint or Google's host."""
        if self.api_root:
            return self.api_root.value
        return f"https://{urls.default_host(self.location.value)}"

    @property
    def base_url(self) -> str:
        """The OPENAI_BASE_URL: on the dedicated host when there is one."""
        root = f"https://{self.dedicated_dns}" if self.dedicated_dns else self.rest_root
        return urls.base_url(
            self.project.value, self.location.value, self.target, self.api_version.value, root
        )

    def origins(self) -> dict[str, Sourced]:
        """Each setting as text with its origin, for --verbose and JSON output."""
        dedicated = Sourced(self.dedicated_dns, "the endpoint") if self.dedicated_dns else None
        return {**_origins(self), **({"dedicated_dns": dedicated} if dedicated else {})}


class Place(NamedTuple):
    """The destination before the token: the project may come from the credentials."""

    project: Sourced | None
    location: Sourced
    target: urls.Target
    target_source: str
    api_version: Sourced
    api_root: Sourced | None
    notes: tuple[str, ...] = ()
    spell: Callable[[str], str] = cli_spelling

    def origins(self) -> dict[str, Sourced]:
        """Each setting known so far, as text with its origin."""
        return _origins(self)

    def destination(self, credentials_project: str | None = None) -> Destination:
        """The destination, the project taken from the credentials when nothing named one."""
        project = self.project
        if project is None:
            if not credentials_project:
                raise InputError(
                    f"no project: pass {self.spell('project')}, set GOOGLE_CLOUD_PROJECT, "
                    "or set gcloud's default project",
                    fix="gcloud config set project PROJECT_ID",
                )
            source = "the credentials"
            project = Sourced(checked(source, credentials_project, urls.check_project), source)
        return Destination(
            project,
            self.location,
            self.target,
            self.target_source,
            self.api_version,
            self.api_root,
        )


def _origins(place: Place | Destination) -> dict[str, Sourced]:
    target = place.target
    shown: dict[str, Sourced | None] = {
        "project": place.project,
        "location": place.location,
        target.kind: Sourced(target.id, place.target_source) if target.id else None,
        "api_version": place.api_version,
        "api_endpoint": place.api_root,
    }
    return {name: value for name, value in shown.items() if value is not None}


def resolve_place(flags: Flags, sources: Sources, target_required: bool = True) -> Place:
    """Resolve the place by precedence (flags, variables, gcloud), validating as it goes.

    Without `target_required`, a missing target means managed models in general.
    """
    spell = sources.spell
    target, target_source, given = _resolve_target(flags, sources, target_required)
    project = first(
        (
            sources.flag("project", flags.project),
            sources.env(ENV_PREFIX + "PROJECT"),
            sources.env("GOOGLE_CLOUD_PROJECT"),
            sources.env("CLOUDSDK_CORE_PROJECT"),
            sources.gcloud_property("core/project"),
        ),
        urls.check_project,
    )
    location = first(
        (
            sources.flag("location", flags.location),
            sources.env(ENV_PREFIX + "LOCATION"),
            sources.env("GOOGLE_CLOUD_LOCATION"),
            sources.env("CLOUDSDK_AI_REGION"),
            sources.gcloud_property("ai/region"),
        ),
        urls.check_location,
    )
    notes = model_notes(given, target.id) if target.kind == "model" and given else []
    if location is None:
        location = _default_location(target, spell)
        notes.append(
            f"{NO_LOCATION}: using 'global' "
            f"(choose one with {spell('location')} or GOOGLE_CLOUD_LOCATION)"
        )
    else:
        note = unknown_region_note(location.value)
        if note:
            notes.append(note)
    if target.kind == "endpoint":
        urls.check_regional(location.value, spell("location"))
    api_version = first(
        (
            sources.flag("api-version", flags.api_version),
            sources.env(ENV_PREFIX + "API_VERSION"),
        ),
        urls.check_api_version,
    ) or Sourced(urls.DEFAULT_API_VERSION, "default")
    api_root = first(
        (
            sources.flag("api-endpoint", flags.api_endpoint),
            sources.env(ENV_PREFIX + "API_ENDPOINT"),
        ),
        urls.api_root,
    )
    return Place(
        project, location, target, target_source, api_version, api_root, tuple(notes), spell
    )


# How the note on a defaulted location starts: `check` shows the default on its own line.
NO_LOCATION = "no location given"


def _resolve_target(flags: Flags, sources: Sources, required: bool) -> tuple[urls.Target, str, str]:
    """The target, where it came from, and the text it was given as."""
    environ = sources.environ
    levels = (
        (sources.spell("model"), flags.model, sources.spell("endpoint"), flags.endpoint),
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
            found = checked(model_source, model, check_model)
            return urls.Target("model", found), model_source, model
        if endpoint is not None:
            found = checked(endpoint_source, endpoint, urls.check_endpoint_id)
            return urls.Target("endpoint", found), endpoint_source, endpoint
    if not required:
        return urls.ANY_MODEL, "default", ""
    raise InputError(
        f"no target: pass {sources.spell('model')} gemini-2.5-flash (a model Google serves), "
        f"or {sources.spell('endpoint')} ID for a model you deployed",
        fix="vertex-openai-env --model gemini-2.5-flash ...  "
        "# or --endpoint ID: vertex-openai-env endpoints --location REGION lists them",
    )


def _default_location(target: urls.Target, spell: Callable[[str], str]) -> Sourced:
    if target.kind == "endpoint":
        raise InputError(
            f"endpoint '{target.id}' needs its region: pass {spell('location')} REGION "
            "or set GOOGLE_CLOUD_LOCATION",
            fix="gcloud config set ai/region REGION",
        )
    return Sourced(GLOBAL, "default for models")
