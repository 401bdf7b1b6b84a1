"""From flags and environment to the variables to export: settings, token, names."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, NamedTuple

from . import tokens
from .errors import InputError, TokenSourceError
from .exports import Names, variables
from .settings import Flags, Settings, resolve
from .tokens import CREDENTIAL_KINDS, Minted


class Exports(NamedTuple):
    """Resolved settings (project known), the token, and the variables they make."""

    settings: Settings
    minted: Minted
    variables: dict[str, str]
    notes: tuple[str, ...] = ()

    def seconds_until_stale(self, min_valid: int) -> int:
        """How long until the token has less than `min_valid` seconds left."""
        left = (self.minted.token.expiry - datetime.now(timezone.utc)).total_seconds()
        return max(0, int(left) - min_valid)

    def details(self) -> dict[str, Any]:
        """What the JSON format adds beside the variables: expiry and every origin."""
        credential = self.minted.credential
        return {
            "expires_at": self.minted.token.expires_at(),
            "settings": {
                name: {"value": value.value, "source": value.source}
                for name, value in self.settings.origins().items()
            },
            "credentials": {
                "type": credential.kind,
                "account": credential.account,
                "source": credential.origin,
                "quota_project": credential.quota_project,
                "impersonating": credential.impersonating,
            },
        }

    def describe(self) -> list[str]:
        """Lines for --verbose: where each setting came from; never the token itself."""
        lines = [
            f"{name}: {value.value} ({value.origin()})"
            for name, value in self.settings.origins().items()
        ]
        credential = self.minted.credential
        account = f" {credential.account}" if credential.account else ""
        kind = CREDENTIAL_KINDS.get(credential.kind, credential.kind)
        lines.append(f"credentials: {kind}{account} (from {credential.origin})")
        if credential.impersonating:
            lines.append(f"impersonating: {credential.impersonating}")
        if credential.quota_project and "quota_project" not in self.settings.token_origins:
            lines.append(f"quota project of the credentials: {credential.quota_project}")
        minutes = (self.minted.token.expiry - datetime.now(timezone.utc)).total_seconds() // 60
        lines.append(f"token: expires {self.minted.token.expires_at()} (in {minutes:.0f} min)")
        lines.append(f"base URL: {self.settings.base_url()}")
        return lines


class Job(NamedTuple):
    """What to export and how: the flags, the variable names, the cache policy."""

    flags: Flags
    names: Names
    min_valid: int = 300
    use_cache: bool = True
    dedicated: bool = False
    target_required: bool = True

    def prepare(self, environ: Mapping[str, str]) -> Exports:
        """Resolve the settings, get a token (from the cache when fresh), build the variables."""
        settings = resolve(self.flags, environ, self.target_required)
        if self.dedicated and settings.target.kind != "endpoint":
            raise InputError("--dedicated goes with --endpoint: only endpoints can be dedicated")
        notes = list(settings.notes)
        if self.use_cache:
            from .cache import TokenCache

            cache = TokenCache(environ, self.min_valid)
            minted = cache.get(settings.token)
            notes += cache.notes
        else:
            minted = tokens.fetch(settings.token, environ)
        settings = settings.with_credentials_project(minted.credential.project)
        if self.dedicated:
            settings = _with_dedicated_host(settings, minted)
        target = settings.target
        model = target.id if target.kind == "model" else None
        values = variables(settings.base_url(), minted.token, model, self.names)
        return Exports(settings, minted, values, tuple(notes))


def _with_dedicated_host(settings: Settings, minted: Minted) -> Settings:
    """Look the endpoint up and use its own DNS name: the shared host refuses dedicated ones."""
    from . import diagnose, vertex

    assert settings.project is not None
    client = vertex.Client(
        settings.rest_root(),
        minted.token.value,
        minted.credential.quota_project,
        settings.token.timeout,
    )
    endpoint_id = settings.target.id
    try:
        found = client.endpoint(settings.project.value, settings.location.value, endpoint_id)
    except vertex.ApiFailure as failure:
        context = diagnose.Context.of(settings, minted, client.root)
        raise diagnose.explain(failure.reply, context) from None
    if not found.dedicated_dns:
        raise TokenSourceError(
            f"endpoint {endpoint_id} has no dedicated DNS name: it is served on the shared host",
            fix="run again without --dedicated",
        )
    return settings._replace(dedicated_dns=found.dedicated_dns)
