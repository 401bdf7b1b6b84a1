"""`check`: resolve everything, get a fresh token, look the target up, optionally send one
tiny request, and say what was found, step by step; exit 0 only when all is well.

Whatever fails, what was resolved before the failure is shown: lines on stderr for people,
or (`--format json`) a document on stdout with `ok`, the failing step, the message and the
fix.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import click

from .. import console, job
from ..console import PROG
from ..deadline import Deadline
from ..errors import InputError, VertexEnvError
from ..help_layout import Command
from ..pipeline import Exports, prepare
from ..settings.urls import ANY_MODEL
from . import options
from .check_report import Report


@click.command(cls=Command)
@options.group(options.PLACE, options.TOKEN, options.dedicated, options.verbose)
@click.option(
    "--probe",
    "with_probe",
    is_flag=True,
    help="Also send one tiny chat request and explain a failure.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Lines on stderr for people, or a JSON document on stdout (also when it fails).",
)
@click.pass_context
def check(ctx: click.Context, /, with_probe: bool, fmt: str, **_: Any) -> None:
    """Resolve everything, get a fresh token, and say what was found; exit 0 only if all is well.

    \b
      vertex-openai-env check --model gemini-2.5-flash --probe
    """
    settings = {**options.merged(ctx), "verbose": False, "no_cache": True}
    report = run(settings, os.environ, with_probe)
    if fmt == "json":
        console.emit(json.dumps(report.document(), indent=2) + "\n")
    else:
        for line in report.lines:
            console.say(line)
    if report.problem:
        raise report.problem
    if fmt == "text":
        console.say("all good")


def run(settings: Mapping[str, Any], environ: Mapping[str, str], with_probe: bool) -> Report:
    """Each step in turn, until one fails; the report holds what each found."""
    report = Report()
    try:
        report.step = "settings"
        # With no target the rest is still worth resolving: what `check` is for.
        the_job = job.build(settings, environ, target_required=False)
        report.place(the_job)
        report.step = "credentials"
        deadline = Deadline(the_job.timeout)  # one for the whole check
        file = report.credentials_before(the_job, environ, deadline)
        exports = prepare(the_job, environ, deadline, file)
        report.exports(exports)
        if exports.destination.target.kind == "endpoint":
            report.step = "endpoint"
            _look_up(exports, report)
        if exports.destination.target == ANY_MODEL:
            report.step = "settings"
            raise InputError(
                "no target: pass --model gemini-2.5-flash (a model Google serves), or "
                "--endpoint ID for a model you deployed; all else is resolved above",
                fix=f"{PROG} check --model gemini-2.5-flash  # or --endpoint ID: "
                f"{PROG} endpoints --location REGION lists them",
            )
        if with_probe:
            report.step = "probe"
            _probe(exports, report)
    except VertexEnvError as exc:
        report.problem = exc
    return report


def _look_up(exports: Exports, report: Report) -> None:
    """The endpoint must exist, hold a deployed model, and be reached on the right host."""
    destination = exports.destination
    found = exports.endpoint or exports.endpoints(destination.target.id)[0]
    report.endpoint(found)
    asked = destination.target.id  # checked, unlike whatever the server calls it
    if not found.deployed_models:
        raise VertexEnvError(
            f"endpoint {asked} has no deployed model: it cannot answer requests",
            fix=f"gcloud ai endpoints deploy-model {shlex.quote(asked)} --region="
            f"{destination.location.value} --model=MODEL_ID --display-name=NAME",
        )
    if found.dedicated_dns and urlsplit(destination.base_url).hostname != found.dedicated_dns:
        raise VertexEnvError(
            f"endpoint {asked} is dedicated: it answers only on its own DNS name "
            f"({found.dedicated_dns}), not on the shared host",
            fix="add --dedicated",
        )


def _probe(exports: Exports, report: Report) -> None:
    """The smallest chat completion, and what its failure means."""
    from ..vertex.client import probe  # urllib.request: not for `--help` and TAB
    from ..vertex.diagnose import explain

    base = exports.destination.base_url
    reply = probe(exports.client(), base, exports.destination.target.model)
    report.probed(reply)
    if not reply.ok:
        raise explain(reply, exports.context(base))
    if "choices" not in reply.body:
        raise VertexEnvError(
            f"{urlsplit(base).netloc} answered HTTP {reply.status} with something that is not "
            "a chat completion (a proxy or captive portal in the way, or a wrong --api-endpoint?)",
            fix="check your network or proxy settings (HTTPS_PROXY) and --api-endpoint",
        )
