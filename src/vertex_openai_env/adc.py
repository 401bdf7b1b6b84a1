"""Tokens from Application Default Credentials through google-auth.

Discovery follows google-auth's own order (`$GOOGLE_APPLICATION_CREDENTIALS`, gcloud's ADC
file, the metadata server) but never starts gcloud to look up a project, and only waits
for the metadata server where Google Cloud is plausible.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import google.auth
import google.auth.credentials
import google.auth.exceptions

from . import iam_errors, urls
from .errors import CredentialsError, InputError, TokenSourceError, VertexEnvError, reason, shown
from .gcloud_config import adc_path
from .tokens import CREDENTIAL_KINDS, CredentialInfo, Minted, Token, TokenRequest, checked_token
from .transport import BoundedRequest

# google-auth logs warnings (metadata probes, quota projects) that would reach stderr.
logging.getLogger("google").addHandler(logging.NullHandler())

Credentials = google.auth.credentials.Credentials

LOGIN = "gcloud auth application-default login"
_FIXES = {
    "authorized_user": LOGIN,
    "service_account": "gcloud iam service-accounts keys create KEY.json --iam-account=EMAIL",
    "external_account": "gcloud iam workload-identity-pools create-cred-config ...  # regenerate",
    "metadata_server": "gcloud compute instances describe INSTANCE "
    "--format='value(serviceAccounts)'",
}
# The credential files google-auth loads (their "type").
FILE_KINDS = (
    "authorized_user",
    "service_account",
    "external_account",
    "external_account_authorized_user",
    "impersonated_service_account",
    "gdch_service_account",
)
_USER_LOGIN_EXPIRED = {"invalid_grant", "invalid_rapt", "reauth_required"}
_GOOGLE_RUNTIMES = ("K_SERVICE", "CLOUD_RUN_JOB", "FUNCTION_TARGET", "GAE_SERVICE")
_METADATA_FLAVOR = {"Metadata-Flavor": "Google"}
_DMI_PRODUCT = Path("/sys/class/dmi/id/product_name")
RETRY_BUDGET = 3


@dataclass(frozen=True)
class Found:
    """Credentials discovered but not yet refreshed, and what we know about them."""

    credentials: Credentials
    info: CredentialInfo


def mint(request: TokenRequest, environ: Mapping[str, str]) -> Minted:
    """Find Application Default Credentials and get a fresh access token from them."""
    http = BoundedRequest(request.timeout)
    found = discover(environ, http)
    credentials = google.auth.credentials.with_scopes_if_required(
        found.credentials, list(request.scopes)
    )
    info = found.info._replace(quota_project=request.quota_project or found.info.quota_project)
    if request.impersonate:
        credentials = _impersonating(found.credentials, request, environ)
        info = info._replace(impersonating=request.impersonate[-1])
    started = datetime.now(timezone.utc)
    refresh(credentials, info, http)
    token = Token(
        checked_token(credentials.token, CREDENTIAL_KINDS[info.kind]),
        _expiry(credentials.expiry, started),
    )
    # Who spoke before any impersonation; refreshed credentials know best (the metadata
    # server's account is learnt during the refresh).
    speaker = found.credentials if request.impersonate else credentials
    account = getattr(speaker, "service_account_email", None) or info.account
    return Minted(token, info._replace(account=account or None))


def iam_endpoint(environ: Mapping[str, str], account: str) -> str | None:
    """The generateAccessToken URL for `account` when gcloud's IAM override is set."""
    override = environ.get("CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS")
    if not override:
        return None
    try:
        root = urls.api_root(override)
    except InputError as exc:
        raise InputError(
            f"{exc.message} (from $CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS)"
        ) from exc
    return f"{root}/v1/projects/-/serviceAccounts/{account}:generateAccessToken"


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
        lifetime=request.lifetime or 3600,
        iam_endpoint_override=iam_endpoint(environ, target),
    )


def discover(environ: Mapping[str, str], http: BoundedRequest) -> Found:
    """The first credentials found, in google-auth's order; CredentialsError if none."""
    explicit = environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if explicit:
        return from_file(Path(explicit), "$GOOGLE_APPLICATION_CREDENTIALS")
    gcloud_file = adc_path(environ)
    if gcloud_file.is_file():
        return from_file(gcloud_file, "gcloud application-default login")
    if metadata_plausible(environ) and _metadata_answers(http, environ):
        return _from_metadata(http, environ)
    raise CredentialsError(
        "no Google credentials found: log in, set GOOGLE_APPLICATION_CREDENTIALS, "
        "or run on Google Cloud",
        fix=LOGIN,
    )


def from_file(path: Path, origin: str) -> Found:
    """Load a credentials file of any type google-auth supports, without network calls."""
    info = _read_json(path, origin)
    kind = info.get("type")
    if kind not in FILE_KINDS:
        raise CredentialsError(
            f"credentials file {path} has type {shown(str(kind))}, which google-auth "
            "does not support",
            fix=LOGIN,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            credentials, project = _LOADERS.get(kind, _load_any)(info)
    except (google.auth.exceptions.GoogleAuthError, ValueError, KeyError, TypeError) as exc:
        raise CredentialsError(
            f"credentials file {path} ({CREDENTIAL_KINDS[kind]}) cannot be used: {reason(exc)}",
            fix=_FIXES.get(kind, LOGIN),
        ) from exc
    return Found(
        credentials,
        CredentialInfo(
            kind=kind,
            origin=f"{origin} ({path})",
            account=info.get("client_email") or info.get("account") or None,
            project=project or None,
            quota_project=getattr(credentials, "quota_project_id", None),
        ),
    )


def refresh(credentials: Credentials, info: CredentialInfo, http: BoundedRequest) -> None:
    """Refresh `credentials`, turning every google-auth failure into a one-line error.

    google-auth retries on its own (up to five times over 15s for the metadata server);
    the whole refresh is given at most RETRY_BUDGET times the per-request timeout.
    """
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            credentials.refresh(http)
        except BaseException as exc:  # handed to the waiting thread
            outcome.append(exc)

    worker = threading.Thread(target=attempt, name="token-refresh", daemon=True)
    worker.start()
    budget = RETRY_BUDGET * http.timeout
    worker.join(budget)
    if worker.is_alive():
        raise _unreachable(http, budget)
    if not outcome:
        return
    failing = http.last.status is not None and http.last.status >= 500
    try:
        raise outcome[0]
    except google.auth.exceptions.TransportError as exc:
        raise _unreachable(http) from exc
    except google.auth.exceptions.GoogleAuthError as exc:
        if failing:  # whatever the body said, the server was failing: retries are done
            raise _unreachable(http) from exc
        if not isinstance(exc, google.auth.exceptions.RefreshError):
            raise _garbled(info, http, exc) from exc
        raise _refused(exc, info, http) from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise _garbled(info, http, exc) from exc


def metadata_plausible(environ: Mapping[str, str]) -> bool:
    """Whether asking the metadata server can help: False when clearly not on Google Cloud."""
    if environ.get("NO_GCE_CHECK") == "true":
        return False
    if any(environ.get(name) for name in ("GCE_METADATA_HOST", "GCE_METADATA_IP")):
        return True
    if any(environ.get(name) for name in _GOOGLE_RUNTIMES):
        return True
    if sys.platform == "darwin":
        return False
    try:
        return _DMI_PRODUCT.read_text(encoding="utf-8").startswith("Google")
    except OSError:
        return True  # No hardware identity to read (Windows, some containers): ask briefly.


def _metadata_host(environ: Mapping[str, str]) -> str:
    return environ.get("GCE_METADATA_HOST") or "metadata.google.internal"


def _metadata_answers(http: BoundedRequest, environ: Mapping[str, str]) -> bool:
    host = environ.get("GCE_METADATA_IP") or environ.get("GCE_METADATA_HOST") or "169.254.169.254"
    brief = BoundedRequest(min(http.timeout, 1.0))
    try:
        response = brief(f"http://{host}/", headers=_METADATA_FLAVOR)
    except google.auth.exceptions.TransportError:
        return False
    return bool(response.status == 200 and response.headers.get("metadata-flavor") == "Google")


def _from_metadata(http: BoundedRequest, environ: Mapping[str, str]) -> Found:
    from google.auth import compute_engine

    host = _metadata_host(environ)
    project = None
    try:
        response = http(
            f"http://{host}/computeMetadata/v1/project/project-id", headers=_METADATA_FLAVOR
        )
        if response.status == 200:
            project = response.data.decode("utf-8", "replace").strip()
    except google.auth.exceptions.TransportError:
        pass  # The project is optional here; the token request reports real trouble.
    return Found(
        compute_engine.Credentials(),
        CredentialInfo(kind="metadata_server", origin=f"metadata server ({host})", project=project),
    )


def _read_json(path: Path, origin: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CredentialsError(f"{origin} names {path}, which does not exist", fix=LOGIN) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CredentialsError(f"cannot read credentials file {path}: {reason(exc)}") from exc
    try:
        info = json.loads(text)
    except ValueError:
        info = None
    if not isinstance(info, dict):
        raise CredentialsError(f"credentials file {path} is not a JSON object", fix=LOGIN)
    return info


def _load_any(info: dict[str, Any]) -> tuple[Credentials, str | None]:
    credentials, project = google.auth.load_credentials_from_dict(info)
    return credentials, project


def _load_external_account(info: dict[str, Any]) -> tuple[Credentials, str | None]:
    # google-auth's own loader asks Cloud Resource Manager for the project: no network here.
    source = info.get("credential_source") or {}
    if info.get("subject_token_type") == "urn:ietf:params:aws:token-type:aws4_request":
        from google.auth import aws as module
    elif isinstance(source, dict) and source.get("executable") is not None:
        from google.auth import pluggable as module  # type: ignore[no-redef]
    else:
        from google.auth import identity_pool as module  # type: ignore[no-redef]
    return module.Credentials.from_info(info), None


def _load_impersonated(info: dict[str, Any]) -> tuple[Credentials, str | None]:
    # google-auth keeps only the account from the file's URL and calls Google's IAM host;
    # the file names the whole URL (Private Service Connect, a proxy): honour all of it.
    from google.auth import impersonated_credentials

    url = str(info.get("service_account_impersonation_url") or "")
    account = url.rsplit("/", 1)[-1].removesuffix(":generateAccessToken")
    if not url.endswith(":generateAccessToken") or not account:
        raise ValueError("service_account_impersonation_url does not name a service account")
    source, _ = _load_any(dict(info.get("source_credentials") or {}))
    credentials = impersonated_credentials.Credentials(
        source_credentials=source,
        target_principal=account,
        target_scopes=info.get("scopes") or [],
        delegates=info.get("delegates"),
        quota_project_id=info.get("quota_project_id"),
        iam_endpoint_override=url,
    )
    return credentials, None


_LOADERS = {
    "external_account": _load_external_account,
    "impersonated_service_account": _load_impersonated,
}


def _expiry(expiry: datetime | None, started: datetime) -> datetime:
    if expiry is None:
        # No lifetime given: assume the documented default, counted from before the request.
        return started + timedelta(hours=1)
    return expiry.replace(tzinfo=timezone.utc) if expiry.tzinfo is None else expiry


def _endpoint(http: BoundedRequest) -> str:
    parts = urlsplit(http.last.url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _unreachable(http: BoundedRequest, budget: float | None = None) -> VertexEnvError:
    """No token: the endpoint failed, never answered, or could not be reached."""
    given_up = f"gave up after {budget:g}s: " if budget else ""
    status = http.last.status
    if status is not None and status >= 500:
        return TokenSourceError(
            f"{given_up}{_endpoint(http)} kept answering HTTP {status}",
            fix="Google's side is failing: try again in a minute",
        )
    if http.last.timed_out or budget:
        return TokenSourceError(
            f"{given_up}no answer from {_endpoint(http)} within {http.timeout:g}s",
            fix="check your network or proxy; raise the limit with --timeout SECONDS",
        )
    return TokenSourceError(
        f"could not connect to {_endpoint(http)} (network down, proxy or firewall?)",
        fix="check your network or proxy settings (HTTPS_PROXY)",
    )


def _refused(
    exc: google.auth.exceptions.RefreshError, info: CredentialInfo, http: BoundedRequest
) -> VertexEnvError:
    if info.impersonating and http.last.url.endswith(":generateAccessToken"):
        return _impersonation_refused(exc, info.impersonating, http)
    details = exc.args[1] if len(exc.args) > 1 else None
    if not isinstance(details, dict):
        return _garbled(info, http, exc)
    code = str(details.get("error") or "")
    description = str(details.get("error_description") or "")
    if info.kind == "authorized_user" and code in _USER_LOGIN_EXPIRED:
        return CredentialsError(
            "your application-default login has expired or was revoked", fix=LOGIN
        )
    status = f"HTTP {http.last.status}" if http.last.status else "a refusal"
    said = ": ".join(reason(part) for part in (code, description) if part)
    return CredentialsError(
        f"{_endpoint(http)} answered {status} to the {CREDENTIAL_KINDS[info.kind]}"
        + (f" ({said})" if said else ""),
        fix=_FIXES.get(info.kind, LOGIN),
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
    known = iam_errors.explain(f"{status} {message}", http.last.status, account)
    if known:
        return known
    said = f" ({status}: {reason(message)})" if status or message else ""
    return CredentialsError(
        f"IAM answered HTTP {http.last.status} when impersonating {account}{said}",
        fix=f"gcloud iam service-accounts describe {account}",
    )


def _garbled(info: CredentialInfo, http: BoundedRequest, exc: Exception) -> VertexEnvError:
    if http.last.status is not None and "json" not in http.last.content_type:
        return TokenSourceError(
            f"{_endpoint(http)} answered HTTP {http.last.status} with a non-JSON body "
            "(a proxy or captive portal in the way?)",
            fix="check your network or proxy settings (HTTPS_PROXY)",
        )
    status = f" (HTTP {http.last.status})" if http.last.status else ""
    return TokenSourceError(
        f"getting a token for the {CREDENTIAL_KINDS[info.kind]} failed{status}: {reason(exc)}",
        fix=_FIXES.get(info.kind, LOGIN),
    )
