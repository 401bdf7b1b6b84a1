"""`endpoints`: a location's Vertex endpoints, as a table for people or JSON for scripts."""

from __future__ import annotations

import json

from . import urls
from .diagnose import Context, explain
from .errors import InputError
from .pipeline import Exports
from .vertex import ApiFailure, Client, Endpoint

_COLUMNS = ("ENDPOINT ID", "DISPLAY NAME", "DEPLOYED MODELS", "DEDICATED DNS")


def listing(exports: Exports) -> list[Endpoint]:
    """Every endpoint in the settings' project and region, all pages."""
    settings, minted = exports.settings, exports.minted
    location = settings.location.value
    if location == urls.GLOBAL or location in urls.MULTI_REGIONS:
        hint = " (no location given)" if settings.location.source.startswith("default") else ""
        raise InputError(
            f"endpoints live in a region, not in '{location}'{hint}: pass --location REGION",
            fix="gcloud config set ai/region REGION",
        )
    assert settings.project is not None
    client = Client(
        settings.rest_root(),
        minted.token.value,
        minted.credential.quota_project,
        settings.token.timeout,
    )
    try:
        return client.endpoints(settings.project.value, location)
    except ApiFailure as failure:
        raise explain(failure.reply, Context.of(settings, minted, client.root)) from None


def table(endpoints: list[Endpoint]) -> str:
    """Aligned columns with a header; `-` where an endpoint has nothing to show."""
    rows = [_COLUMNS] + [
        (e.id, e.display_name or "-", ", ".join(e.deployed_models) or "-", e.dedicated_dns or "-")
        for e in endpoints
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_COLUMNS))]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        + "\n"
        for row in rows
    )


def as_json(endpoints: list[Endpoint]) -> str:
    return json.dumps([endpoint.as_json() for endpoint in endpoints], indent=2) + "\n"
