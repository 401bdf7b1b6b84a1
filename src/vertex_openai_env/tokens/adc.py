"""Tokens from Application Default Credentials through google-auth.

Discovery follows google-auth's own order (`$GOOGLE_APPLICATION_CREDENTIALS`, gcloud's ADC
file, the metadata server) but never starts gcloud to look up a project, and only waits
for the metadata server where Google Cloud is plausible.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

import google.auth.credentials
import google.auth.exceptions

from ..deadline import Deadline, DeadlineError
from ..errors import CredentialsError, VertexEnvError
from ..settings.gcloud_config import adc_path
from . import credentials_file, metadata, refresh_errors
from .credentials_file import CredentialsFile
from .impersonation import iam_endpoint
from .loaders import Credentials, Found, from_file
from .refresh_errors import garbled, refused, unreachable
from .transport import BoundedRequest
from .types import (
    CREDENTIAL_KINDS,
    DEFAULT_LIFETIME,
    LOGIN,
    CredentialInfo,
    Minted,
    Token,
    TokenRequest,
    checked_token,
    sane_expiry,
)

# google-auth logs warnings (metadata probes, quota projects) that would reach stderr.
logging.getLogger("google").addHandler(logging.NullHandler())


def mint(
    request: TokenRequest,
    environ: Mapping[str, str],
    deadline: Deadline,
    file: CredentialsFile | None = None,
) -> Minted:
    """Find Application Default Credentials and get a fresh access token from them.

    `file` is the credentials file when the caller has already read it.
    """
    http = BoundedRequest(deadline)
    found = discover(environ, http, file)
    credentials = google.auth.credentials.with_scopes_if_required(
        found.credentials, list(request.scopes)
    )
    info = found.info._replace(quota_project=request.quota_project or found.info.quota_project)
    if request.impersonate:
        credentials = _impersonating(found.credentials, request, environ)
        # The impersonated account's token carries no quota project but one asked for.
        info = info._replace(
            impersonating=request.impersonate[-1], quota_project=request.quota_project
        )
    started = datetime.now(timezone.utc)
    refresh(credentials, info, http)
    source = CREDENTIAL_KINDS[info.kind]
    token = Token(
        checked_token(credentials.token, source),
        sane_expiry(_expiry(credentials.expiry, started), source),
    )
    # Who spoke before any impersonation; refreshed credentials know best (the metadata
    # server's account is learnt during the refresh).
    speaker = found.credentials if request.impersonate else credentials
    account = getattr(speaker, "service_account_email", None) or info.account
    return Minted(token, info._replace(account=account or None))


def _impersonating(
    source: Credentials, request: TokenRequest, environ: Mapping[str, str]
) -> Credentials:
    from google.auth import impersonated_credentials

    *delegates, target = request.impersonate
    return impersonated_credentials.Credentials(
        source_credentials=source,
        target_principal=target,
        target_scopes=list(request.scopes),
        # IAM names each delegate by resource name, not by bare email.
        delegates=[f"projects/-/serviceAccounts/{account}" for account in delegates] or None,
        lifetime=request.known_lifetime,
        iam_endpoint_override=iam_endpoint(environ, target),
    )


def discover(
    environ: Mapping[str, str], http: BoundedRequest, file: CredentialsFile | None = None
) -> Found:
    """The first credentials found, in google-auth's order; CredentialsError if none."""
    if file is None:
        located = credentials_file.locate(environ)
        if located is not None:
            file = credentials_file.read(*located, http.deadline)
    if file is not None:
        return from_file(file)
    if metadata.plausible(environ) and _metadata_answers(http, environ):
        return _from_metadata(http, environ)
    looked = "no metadata server answered" if metadata.plausible(environ) else "not on Google Cloud"
    raise CredentialsError(
        "no Google credentials found: log in, set GOOGLE_APPLICATION_CREDENTIALS, "
        f"or run on Google Cloud (looked at $GOOGLE_APPLICATION_CREDENTIALS: unset; "
        f"{adc_path(environ)}: none; {looked})",
        fix=LOGIN,
    )


def refresh(credentials: Credentials, info: CredentialInfo, http: BoundedRequest) -> None:
    """Refresh `credentials`, turning every google-auth failure into a one-line error.

    google-auth retries on its own (up to five times over 15s for the metadata server);
    the whole refresh ends by the deadline all the same, however slow each reply.
    """
    try:
        http.deadline.run(lambda: http.last.place, lambda: credentials.refresh(http))
    except DeadlineError as exc:
        # Out of time, in a request or between google-auth's retries: say what was seen.
        raise refresh_errors.out_of_time(http, exc) from exc
    except VertexEnvError:
        raise
    except Exception as exc:
        error = _explained(exc, info, http)
        if error is exc:
            raise
        raise error from exc


def _explained(exc: Exception, info: CredentialInfo, http: BoundedRequest) -> Exception:
    """The one-line error for a failed refresh (anything unforeseen: `exc` itself)."""
    failing = http.last.status is not None and http.last.status >= 500
    if isinstance(exc, google.auth.exceptions.TransportError) or (
        failing and isinstance(exc, google.auth.exceptions.GoogleAuthError)
    ):
        return unreachable(http)  # whatever the body said, the server was failing
    if isinstance(exc, google.auth.exceptions.RefreshError):
        return refused(exc, info, http)
    # OverflowError: an expiry too far away for a datetime (`expires_in: 1e300`).
    # RecursionError: JSON nested deeper than Python will parse.
    unreadable = (
        google.auth.exceptions.GoogleAuthError,
        ValueError,
        KeyError,
        TypeError,
        RecursionError,
    )
    if isinstance(exc, (*unreadable, OverflowError)):
        return garbled(info, http, exc)
    return exc


def _metadata_answers(http: BoundedRequest, environ: Mapping[str, str]) -> bool:
    brief = BoundedRequest(http.deadline, per_call=min(http.per_call, 1.0))
    url = f"http://{metadata.probe_address(environ)}/"
    try:
        response = http.deadline.run(lambda: url, lambda: brief(url, headers=metadata.FLAVOR))
    except google.auth.exceptions.TransportError:
        return False
    return bool(response.status == 200 and response.headers.get("metadata-flavor") == "Google")


def _from_metadata(http: BoundedRequest, environ: Mapping[str, str]) -> Found:
    from google.auth import compute_engine

    host = metadata.host(environ)
    url = f"http://{host}/computeMetadata/v1/project/project-id"
    project = None
    try:
        response = http.deadline.run(lambda: url, lambda: http(url, headers=metadata.FLAVOR))
        if response.status == 200:
            project = response.data.decode("utf-8", "replace").strip()
    except google.auth.exceptions.TransportError:
        pass  # The project is optional here; the token request reports real trouble.
    return Found(
        compute_engine.Credentials(),
        CredentialInfo(kind="metadata_server", origin=f"metadata server ({host})", project=project),
    )


def _expiry(expiry: datetime | None, started: datetime) -> datetime:
    if expiry is None:
        # No lifetime given: assume the documented default, counted from before the request.
        return started + timedelta(seconds=DEFAULT_LIFETIME)
    return expiry.replace(tzinfo=timezone.utc) if expiry.tzinfo is None else expiry
