"""What `check` found, kept for people (lines) and for scripts (a JSON document)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import VertexEnvError
from ..job import Job
from ..pipeline import Exports
from ..settings.place import NO_LOCATION
from ..settings.sources import described
from ..settings.urls import ANY_MODEL
from ..tokens import credentials_file, metadata
from ..tokens.types import CREDENTIAL_KINDS, DEFAULT_SOURCE

if TYPE_CHECKING:
    from ..deadline import Deadline
    from ..tokens.credentials_file import CredentialsFile
    from ..vertex.client import Endpoint, Reply


class Report:
    """The findings so far, the step being taken, and the problem that stopped it, if any."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.found: dict[str, Any] = {}
        self.step = "settings"
        self.problem: VertexEnvError | None = None

    def document(self) -> dict[str, Any]:
        """The JSON verdict: what was found, `ok`, and the failing step with its fix."""
        document = {**self.found, "ok": self.problem is None}
        if self.problem is not None:
            document["problem"] = {
                "step": self.step,
                "message": self.problem.message,
                "fix": self.problem.fix,
            }
        return document

    def place(self, job: Job) -> None:
        """Where requests would go, as far as the settings alone say."""
        origins = job.origins()
        self.found["settings"] = {
            name: {"value": value.value, "source": value.source} for name, value in origins.items()
        }
        if job.place.project is None:
            self.lines.append("project: none named yet (the credentials may have one)")
        self.lines += described(origins)
        if job.place.target == ANY_MODEL:
            self.lines.append("target: none given yet (--model or --endpoint)")
        self.lines += [f"note: {note}" for note in _notes(job.place.notes)]

    def credentials_before(
        self, job: Job, environ: Mapping[str, str], deadline: Deadline
    ) -> CredentialsFile | None:
        """Which credentials the token will come from, read without asking anyone; the
        credentials file, if read, for the token to come from (a pipe gives it once only)."""
        file = None
        if job.token.source != DEFAULT_SOURCE:  # another program reads the credentials
            said = f"{job.token.source} (its application-default login)"
        else:
            said, file = _credentials(environ, deadline)
        self.found["credentials"] = {"source": said}
        self.lines.append(f"credentials: {said}")
        return file

    def exports(self, exports: Exports) -> None:
        """Everything resolved with the token: the full picture replaces the partial one."""
        token = exports.minted.token
        self.lines = [
            *exports.describe(),
            f"token: {token_prefix(token.value)} (a prefix, not usable)",
        ]
        notes = (*_notes(exports.job.place.notes), *exports.notes)
        self.lines += [f"note: {note}" for note in notes]
        self.found = {
            **exports.details(),
            "base_url": exports.destination.base_url,
            "token_prefix": token_prefix(token.value),
        }

    def endpoint(self, found: Endpoint) -> None:
        models = ", ".join(found.deployed_models) or "no deployed model"
        self.lines.append(f"endpoint: {found.display_name or found.id} ({models})")
        if found.dedicated_dns:
            self.lines.append(f"dedicated DNS: {found.dedicated_dns}")
        self.found["endpoint"] = found.as_json()

    def probed(self, reply: Reply) -> None:
        self.found["probe"] = {"status": reply.status, "seconds": round(reply.seconds, 3)}
        if reply.ok:
            self.lines.append(f"probe: ok (HTTP {reply.status} in {reply.seconds:.2f}s)")


def _credentials(
    environ: Mapping[str, str], deadline: Deadline
) -> tuple[str, CredentialsFile | None]:
    """The credentials google-auth would use, by kind and account, from their file alone;
    and that file."""
    located = credentials_file.locate(environ)
    if located is None:
        if metadata.plausible(environ):
            return f"none in files: asking the metadata server ({metadata.host(environ)})", None
        return "none found (no $GOOGLE_APPLICATION_CREDENTIALS, no gcloud login)", None
    path, origin = located
    file = None
    try:
        file = credentials_file.read(path, origin, deadline)
        info = file.json()
    except VertexEnvError:  # the token's step says why, from the same reading
        return f"{path} (from {origin}), which cannot be read", file
    kind = CREDENTIAL_KINDS.get(str(info.get("type")), f"type {str(info.get('type'))[:40]}")
    account = info.get("client_email") or info.get("account")
    return f"{kind}{f' {account}' if account else ''} (from {origin} ({path}))", file


def _notes(notes: Iterable[str]) -> list[str]:
    """The notes worth a line: the `location: global (default for models)` line already
    says what the note on a defaulted location says."""
    return [note for note in notes if not note.startswith(NO_LOCATION)]


def token_prefix(token: str) -> str:
    """Enough of a token to tell two apart, far too little to use: at most 8 characters."""
    return token[: min(8, len(token) // 4)] + "…"
