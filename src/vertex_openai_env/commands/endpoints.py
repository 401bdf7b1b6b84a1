"""`endpoints`: a region's Vertex endpoints, as a table for people or JSON for scripts."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import click

from .. import console, job
from ..errors import one_line
from ..help_layout import Command
from ..settings.urls import check_regional
from ..vertex import known_endpoints
from . import options
from .export import prepared

if TYPE_CHECKING:
    from ..vertex.client import Endpoint

_COLUMNS = ("ENDPOINT ID", "DISPLAY NAME", "DEPLOYED MODELS", "DEDICATED DNS")
_TARGET_VARIABLES = ("VERTEX_OPENAI_ENV_MODEL", "VERTEX_OPENAI_ENV_ENDPOINT")


@click.command(cls=Command)
@options.JOB
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A table for people, or JSON for scripts.",
)
@click.pass_context
def endpoints(ctx: click.Context, /, fmt: str, **_: Any) -> None:
    """List a region's Vertex endpoints: ID, display name, deployed models, dedicated DNS.

    \b
      vertex-openai-env endpoints --project my-proj --location us-central1
      vertex-openai-env endpoints --location us-central1 --endpoint 1234  # just that one
    """
    # The options of a job are all taken, so that flags reused from an export work here;
    # a model is no endpoint: --model is ignored.
    settings = {**options.merged(ctx), "model": None}
    # Only --endpoint narrows the list: a target in the environment is for exports.
    environ = {k: v for k, v in os.environ.items() if k not in _TARGET_VARIABLES}
    the_job = job.build(settings, environ, target_required=False)
    location = the_job.place.location
    check_regional(location.value, defaulted=location.source.startswith("default"))
    exports = prepared(the_job)
    target = exports.destination.target
    found = exports.endpoints(target.id if target.kind == "endpoint" else None)
    known_endpoints.remember(
        os.environ, ((endpoint.id, endpoint.display_name) for endpoint in found)
    )
    if fmt == "json":
        console.emit(json.dumps([endpoint.as_json() for endpoint in found], indent=2) + "\n")
    elif found:
        console.emit(table(found))
    else:
        console.note("no endpoints in this project and region")


def table(found: list[Endpoint]) -> str:
    """Aligned columns with a header; `-` where an endpoint has nothing to show.

    Names come from the server: control characters are shown escaped, never sent to the
    terminal.
    """
    rows = [_COLUMNS] + [
        tuple(
            one_line(cell)
            for cell in (
                e.id,
                e.display_name or "-",
                ", ".join(e.deployed_models) or "-",
                e.dedicated_dns or "-",
            )
        )
        for e in found
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_COLUMNS))]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        + "\n"
        for row in rows
    )
