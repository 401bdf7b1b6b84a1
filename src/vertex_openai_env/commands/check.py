"""`check`: resolve everything, look the target up, optionally send one tiny request, and
say what was found; exit 0 only when all is well."""

from __future__ import annotations

import json
import os
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import click

from .. import console, job
from ..errors import VertexEnvError
from ..pipeline import Exports
from ..vertex.client import ApiFailure, Endpoint, probe
from ..vertex.diagnose import explain
from . import options
from .export import prepared


@click.command()
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
    help="Lines on stderr for people, or a JSON document on stdout.",
)
@click.pass_context
def check(ctx: click.Context, /, with_probe: bool, fmt: str, **_: Any) -> None:
    """Resolve everything, get a fresh token, and say what was found; exit 0 only if all is well.

    \b
      vertex-openai-env check --model gemini-2.5-flash --probe
    """
    settings = {**options.merged(ctx), "verbose": False, "no_cache": True}
    report = run(prepared(job.build(settings, os.environ)), with_probe)
    if fmt == "json":
        console.emit(json.dumps(report.document, indent=2) + "\n")
    else:
        for line in report.lines:
            console.say(line)
    if report.problem:
        raise report.problem
    if fmt == "text":
        console.say("all good")


class Report(NamedTuple):
    """`check`'s findings: lines for people, a document for scripts, and whether all is well."""

    lines: list[str]
    document: dict[str, Any]
    problem: VertexEnvError | None


def run(exports: Exports, with_probe: bool) -> Report:
    """Look the target up (endpoints) and, with `with_probe`, send one tiny chat request."""
    destination, minted = exports.destination, exports.minted
    base = destination.base_url
    client = exports.client()
    lines = exports.describe()
    lines.append(f"token: {token_prefix(minted.token.value)} (a prefix, not usable)")
    document: dict[str, Any] = {
        **exports.details(),
        "base_url": base,
        "token_prefix": token_prefix(minted.token.value),
    }
    problem: VertexEnvError | None = None
    target = destination.target
    if target.kind == "endpoint":
        try:
            found = client.endpoint(
                destination.project.value, destination.location.value, target.id
            )
            document["endpoint"] = found.as_json()
            lines += _endpoint_lines(found, base)
        except ApiFailure as failure:
            problem = explain(failure.reply, exports.context(client.root))
    if with_probe and problem is None:
        model = target.id if target.kind == "model" else None
        reply = probe(client, base, model)
        document["probe"] = {"status": reply.status, "seconds": round(reply.seconds, 3)}
        if reply.ok:
            lines.append(f"probe: ok (HTTP {reply.status} in {reply.seconds:.2f}s)")
        else:
            problem = explain(reply, exports.context(base))
            document["probe"]["problem"] = problem.message
    document["ok"] = problem is None
    if problem:
        document["problem"] = {"message": problem.message, "fix": problem.fix}
    return Report(lines, document, problem)


def _endpoint_lines(found: Endpoint, base: str) -> list[str]:
    models = ", ".join(found.deployed_models) or "no deployed model"
    lines = [f"endpoint: {found.display_name or found.id} ({models})"]
    if found.dedicated_dns:
        lines.append(f"dedicated DNS: {found.dedicated_dns}")
        if urlsplit(base).hostname != found.dedicated_dns:
            lines.append(
                "hint: this endpoint is dedicated and answers only on its own DNS name: "
                "add --dedicated"
            )
    return lines


def token_prefix(token: str) -> str:
    """Enough of a token to tell two apart, far too little to use: at most 8 characters."""
    return token[: min(8, len(token) // 4)] + "…"
