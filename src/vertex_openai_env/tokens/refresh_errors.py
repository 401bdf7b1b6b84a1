"""What a failed token refresh means, in one line and the command that fixes it.

Only the facts the transport remembers (URL, status, content type) and the error codes of
a JSON reply are used: raw bodies may echo secrets and are never shown.
"""

from __future__ import annotations

import json

import google.auth.exceptions

from ..deadline import DeadlineError
from ..errors import CredentialsError, TokenSourceError, VertexEnvError, reason
from . import impersonation
from .plain_words import plain
from .transport import BoundedRequest
from .types import CREDENTIAL_KINDS, LOGIN, CredentialInfo, fix_for

_USER_LOGIN_EXPIRED = {"invalid_grant", "invalid_rapt", "reauth_required"}
_NETWORK_FIX = "check your network or proxy settings (HTTPS_PROXY)"


def unreachable(http: BoundedRequest) -> VertexEnvError:
    """No token: the endpoint failed, never answered, or could not be reached."""
    status = http.last.status
    if status is not None and status >= 500:
        return TokenSourceError(
            f"{http.last.place} kept answering HTTP {status}",
            fix="Google's side is failing: try again in a minute",
        )
    if http.last.timed_out:
        return TokenSourceError(
            f"no answer from {http.last.place} within {http.per_call:g}s",
            fix="check your network or proxy; raise the limit with --timeout SECONDS",
        )
    return TokenSourceError(
        f"could not connect to {http.last.place} (network down, proxy or firewall?)",
        fix=_NETWORK_FIX,
    )


def out_of_time(http: BoundedRequest, expired: DeadlineError) -> VertexEnvError:
    """The deadline passed during the refresh: say so, and what the endpoint last said."""
    status = http.last.status
    if status is not None and status >= 500:
        return TokenSourceError(
            f"gave up after {http.deadline.seconds:g}s (--timeout): {http.last.place} "
            f"kept answering HTTP {status}",
            fix="Google's side is failing: try again in a minute",
        )
    return expired


def refused(
    exc: google.auth.exceptions.RefreshError, info: CredentialInfo, http: BoundedRequest
) -> VertexEnvError:
    """The token endpoint (or IAM) answered, and said no."""
    if info.impersonating and http.last.url.endswith(":generateAccessToken"):
        return _impersonation_refused(exc, info.impersonating, http)
    details = exc.args[1] if len(exc.args) > 1 else None
    if not isinstance(details, dict):
        return garbled(info, http, exc)
    code = str(details.get("error") or "")
    description = str(details.get("error_description") or "")
    if info.kind == "authorized_user" and code in _USER_LOGIN_EXPIRED:
        return CredentialsError(
            "your application-default login has expired or was revoked", fix=LOGIN
        )
    status = f"HTTP {http.last.status}" if http.last.status else "a refusal"
    said = ": ".join(reason(part) for part in (code, description) if part)
    return CredentialsError(
        f"{http.last.place} answered {status} to the {CREDENTIAL_KINDS[info.kind]}"
        + (f" ({said})" if said else ""),
        fix=fix_for(info.kind, info.account),
    )


def garbled(info: CredentialInfo, http: BoundedRequest, exc: Exception) -> VertexEnvError:
    """An answer that is not a token: a proxy page, or a reply google-auth cannot read."""
    if http.last.status is not None and "json" not in http.last.content_type:
        return TokenSourceError(
            f"{http.last.place} answered HTTP {http.last.status} with a non-JSON body "
            "(a proxy or captive portal in the way?)",
            fix=_NETWORK_FIX,
        )
    status = f" (HTTP {http.last.status})" if http.last.status else ""
    return TokenSourceError(
        f"getting a token for the {CREDENTIAL_KINDS[info.kind]} failed{status}: {plain(exc)}",
        fix=fix_for(info.kind, info.account),
    )


def _impersonation_refused(
    exc: google.auth.exceptions.RefreshError, account: str, http: BoundedRequest
) -> VertexEnvError:
    """IAM said no: explain the usual reasons in a line, and nothing of the raw reply."""
    try:
        error = json.loads(exc.args[1])["error"]
        message, status = str(error.get("message", "")), str(error.get("status", ""))
    except (IndexError, TypeError, ValueError, KeyError, AttributeError):
        message, status = "", ""
    known = impersonation.explain(f"{status} {message}", http.last.status, account)
    if known:
        return known
    said = f" ({status}: {reason(message)})" if status or message else ""
    return CredentialsError(
        f"IAM answered HTTP {http.last.status} when impersonating {account}{said}",
        fix=f"gcloud iam service-accounts describe {account}",
    )
