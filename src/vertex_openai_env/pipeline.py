"""From a job to the variables: the token (from the cache when fresh), the destination
(project known, URL built, a dedicated endpoint looked up), and the names and values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from .deadline import Deadline
from .durations import spoken
from .errors import TokenSourceError
from .job import Job
from .output.variables import custom_headers, variables
from .settings.place import Destination
from .settings.sources import described
from .tokens.registry import fetch
from .tokens.types import CREDENTIAL_KINDS, Minted

if TYPE_CHECKING:  # the REST client pulls in urllib.request: only loaded when it is used
    from .vertex.client import Client
    from .vertex.diagnose import Context


class Exports(NamedTuple):
    """The job, resolved: where requests go, the token, and the variables they make."""

    job: Job
    destination: Destination
    minted: Minted
    variables: dict[str, str]
    deadline: Deadline
    notes: tuple[str, ...] = ()
    story: str = ""  # for --verbose: from the cache, or fetched from where

    def seconds_until_stale(self) -> int:
        """How long until the token has less than the job's `min_valid` seconds left."""
        return max(0, int(self.minted.token.seconds_left()) - self.job.min_valid)

    def client(self) -> Client:
        """A Vertex REST client carrying this token, bounded by this run's deadline."""
        from .vertex.client import Client

        credential = self.minted.credential
        return Client(
            self.destination.rest_root,
            self.minted.token.value,
            credential.quota_project,
            self.deadline,
        )

    def context(self, url: str) -> Context:
        """What a call to `url` was about, for explaining its failure."""
        from .vertex.diagnose import Context

        credential = self.minted.credential
        return Context(
            self.destination.project.value,
            self.destination.location.value,
            self.destination.target,
            credential.impersonating or credential.account,
            credential.kind,
            url,
            credential.quota_project if self.job.names.quota_header else None,
            self.destination.api_root.value if self.destination.api_root else None,
        )

    def details(self) -> dict[str, Any]:
        """What the JSON format adds beside the variables: expiry and every origin."""
        credential = self.minted.credential
        return {
            "expires_at": self.minted.token.expires_at(),
            "settings": {
                name: {"value": value.value, "source": value.source}
                for name, value in self.origins().items()
            },
            "credentials": {
                "type": credential.kind,
                "account": credential.account,
                "source": credential.origin,
                "quota_project": credential.quota_project,
                "impersonating": credential.impersonating,
            },
        }

    def origins(self) -> dict[str, Any]:
        """Every setting, with where it came from."""
        return {**self.destination.origins(), **self.job.token_origins}

    def describe(self) -> list[str]:
        """Lines for --verbose: where each setting came from; never the token itself."""
        return [*described(self.origins()), *self.describe_token()]

    def describe_token(self) -> list[str]:
        """The lines about the credentials, the token and the URL they lead to."""
        lines = []
        if self.job.place.project is None:  # learnt only now
            lines += described({"project": self.destination.project})
        credential = self.minted.credential
        account = f" {credential.account}" if credential.account else ""
        kind = CREDENTIAL_KINDS.get(credential.kind, credential.kind)
        lines.append(f"credentials: {kind}{account} (from {credential.origin})")
        if credential.impersonating:
            lines.append(f"impersonating: {credential.impersonating}")
        if credential.quota_project and "quota_project" not in self.job.token_origins:
            lines.append(f"quota project of the credentials: {credential.quota_project}")
        if self.story:
            lines.append(self.story)
        minutes = self.minted.token.seconds_left() // 60
        lines.append(f"token: expires {self.minted.token.expires_at()} (in {minutes:.0f} min)")
        lines.append(f"base URL: {self.destination.base_url}")
        return lines


def prepare(job: Job, environ: Mapping[str, str]) -> Exports:
    """Get a token (from the cache when fresh), resolve the destination, build the variables."""
    deadline = Deadline(job.timeout)
    notes = list(job.place.notes)
    story = ""
    if job.use_cache:
        from .tokens.cache import TokenCache

        cache = TokenCache(environ, job.min_valid, deadline)
        minted = cache.get(job.token)
        notes += cache.notes
        story = cache.story
    else:
        minted = fetch(job.token, environ, deadline)
        story = f"token: fetched from {minted.credential.origin} (a fresh one, not cached)"
    left = minted.token.seconds_left()
    if left < job.min_valid:
        notes.append(
            f"the token lives {spoken(int(left))}, less than --min-valid {spoken(job.min_valid)}: "
            "every run will fetch a new one"
        )
    destination = job.place.destination(minted.credential.project)
    exports = Exports(job, destination, minted, {}, deadline, tuple(notes), story)
    if job.dedicated:
        exports = exports._replace(destination=_dedicated(exports))
    target = exports.destination.target
    model = target.id if target.kind == "model" else None
    token = minted.token
    quota_project = minted.credential.quota_project
    headers = custom_headers(environ, quota_project) if job.names.quota_header else None
    values = variables(
        exports.destination.base_url, token.value, token.expires_at(), model, job.names, headers
    )
    return exports._replace(variables=values)


def _dedicated(exports: Exports) -> Destination:
    """The destination on the endpoint's own DNS name: the shared host refuses dedicated ones."""
    from .vertex.client import ApiFailure
    from .vertex.diagnose import explain

    destination = exports.destination
    client = exports.client()
    endpoint_id = destination.target.id
    try:
        found = client.endpoint(destination.project.value, destination.location.value, endpoint_id)
    except ApiFailure as failure:
        raise explain(failure.reply, exports.context(client.root)) from None
    if not found.dedicated_dns:
        raise TokenSourceError(
            f"endpoint {endpoint_id} has no dedicated DNS name: it is served on the shared host",
            fix="run again without --dedicated",
        )
    return destination._replace(dedicated_dns=found.dedicated_dns)
