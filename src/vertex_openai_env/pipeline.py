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
    from .tokens.credentials_file import CredentialsFile
    from .vertex.client import Client, Endpoint
    from .vertex.diagnose import Context


class Exports(NamedTuple):
    """The job, resolved: where requests go, the token, and the variables they make."""

    job: Job
    destination: Destination
    minted: Minted
    variables: dict[str, str]
    deadline: Deadline
    notes: tuple[str, ...] = ()  # from getting the token (the settings' are job.place.notes)
    story: str = ""  # for --verbose: from the cache, or fetched from where
    endpoint: Endpoint | None = None  # the target endpoint as Vertex describes it, if asked

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

    def endpoints(self, only: str | None = None) -> list[Endpoint]:
        """The region's endpoints as Vertex lists them (or just endpoint `only`), a failure
        explained."""
        from .vertex.client import ApiFailure
        from .vertex.diagnose import explain

        client = self.client()
        project, location = self.destination.project.value, self.destination.location.value
        try:
            if only is None:
                return client.endpoints(project, location)
            return [client.endpoint(project, location, only)]
        except ApiFailure as failure:
            raise explain(failure.reply, self.context(client.root)) from None

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


def mint(
    job: Job,
    environ: Mapping[str, str],
    deadline: Deadline,
    file: CredentialsFile | None = None,
    fresh: bool = False,
) -> tuple[Minted, list[str], str]:
    """A token for `job`, the notes on the way, and (for --verbose) where it came from.

    From the cache when it holds one fresh enough, unless `fresh` (Vertex refused the last
    one); a fetched token is kept there for next time. `file`: the credentials file, if it
    was read already (a pipe such as `<(cat key.json)` can be read once only).
    """
    if not job.use_cache:
        minted = fetch(job.token, environ, deadline, file)
        origin = minted.credential.origin
        return minted, [], f"token: fetched from {origin} (a fresh one, not cached)"
    from .tokens.cache import TokenCache

    cache = TokenCache(environ, job.min_valid, deadline)
    minted = cache.get(job.token, file, fresh)
    return minted, cache.notes, cache.story


def prepare(
    job: Job,
    environ: Mapping[str, str],
    deadline: Deadline | None = None,
    file: CredentialsFile | None = None,
) -> Exports:
    """Get a token (from the cache when fresh), resolve the destination, build the variables.

    `deadline`: the run's, if it started before; `file`: as `mint` takes it.
    """
    deadline = deadline or Deadline(job.timeout)
    minted, notes, story = mint(job, environ, deadline, file)
    left = minted.token.seconds_left()
    if left < job.min_valid:
        notes.append(
            f"the token lives {spoken(int(left))}, less than --min-valid {spoken(job.min_valid)}: "
            "every run will fetch a new one"
        )
    destination = job.place.destination(minted.credential.project)
    exports = Exports(job, destination, minted, {}, deadline, tuple(notes), story)
    if job.dedicated:
        exports = _dedicated(exports)
    model = exports.destination.target.model
    token = minted.token
    quota_project = minted.credential.quota_project
    headers = custom_headers(environ, quota_project) if job.names.quota_header else None
    values = variables(
        exports.destination.base_url, token.value, token.expires_at(), model, job.names, headers
    )
    return exports._replace(variables=values)


def _dedicated(exports: Exports) -> Exports:
    """To the endpoint's own DNS name: the shared host refuses dedicated endpoints."""
    endpoint_id = exports.destination.target.id
    found = exports.endpoints(endpoint_id)[0]
    if not found.dedicated_dns:
        raise TokenSourceError(
            f"endpoint {endpoint_id} has no dedicated DNS name: it is served on the shared host",
            fix="run again without --dedicated",
        )
    destination = exports.destination._replace(dedicated_dns=found.dedicated_dns)
    return exports._replace(destination=destination, endpoint=found)
