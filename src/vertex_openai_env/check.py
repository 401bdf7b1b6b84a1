"""`check`: resolve everything, look the target up, and optionally send one tiny request."""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import urlsplit

from .diagnose import Context, explain
from .errors import VertexEnvError
from .pipeline import Exports
from .vertex import ApiFailure, Client, Endpoint, probe


class Report(NamedTuple):
    """`check`'s findings: lines for people, a document for scripts, and whether all is well."""

    lines: list[str]
    document: dict[str, Any]
    problem: VertexEnvError | None


def check(exports: Exports, with_probe: bool, timeout: float) -> Report:
    """Look the target up (endpoints) and, with `with_probe`, send one tiny chat request."""
    settings, minted = exports.settings, exports.minted
    base = settings.base_url()
    client = Client(
        settings.rest_root(), minted.token.value, minted.credential.quota_project, timeout
    )
    assert settings.project is not None
    lines = exports.describe()
    lines.append(f"token: {token_prefix(minted.token.value)} (a prefix, not usable)")
    document: dict[str, Any] = {
        **exports.details(),
        "base_url": base,
        "token_prefix": token_prefix(minted.token.value),
    }
    problem: VertexEnvError | None = None
    target = settings.target
    if target.kind == "endpoint":
        try:
            found = client.endpoint(settings.project.value, settings.location.value, target.id)
            document["endpoint"] = found.as_json()
            lines += _endpoint_lines(found, base)
        except ApiFailure as failure:
            problem = explain(failure.reply, Context.of(settings, minted, client.root))
    if with_probe and problem is None:
        model = target.id if target.kind == "model" else None
        reply = probe(client, base, model)
        document["probe"] = {"status": reply.status, "seconds": round(reply.seconds, 3)}
        if reply.ok:
            lines.append(f"probe: ok (HTTP {reply.status} in {reply.seconds:.2f}s)")
        else:
            problem = explain(reply, Context.of(settings, minted, base))
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
