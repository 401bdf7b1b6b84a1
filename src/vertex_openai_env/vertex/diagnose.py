"""What a failed Vertex AI call means, and the command that fixes it.

A bare 401, 403 or 404 from an OpenAI SDK says nothing about why. Here each failure is
matched against what Vertex AI puts in its error body (status, reason, permission) and
turned into one line plus a fix. Raw bodies are never shown.
"""

from __future__ import annotations

import shlex
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from ..errors import CredentialsError, TokenSourceError, VertexEnvError, reason
from ..settings.urls import Target
from ..tokens.types import CREDENTIAL_KINDS, LOGIN, fix_for
from .client import Reply

_USER_KINDS = ("authorized_user", "gcloud", "external_account_authorized_user")


class Context(NamedTuple):
    """What the failed call was about, for the explanation."""

    project: str
    location: str
    target: Target
    account: str | None
    credential_kind: str
    url: str
    quota_project: str | None = None  # sent as x-goog-user-project, if any
    api_endpoint: str | None = None  # --api-endpoint, for fix lines that call Vertex again


def explain(reply: Reply, context: Context) -> VertexEnvError:
    """One line for what went wrong, and the fix."""
    found = reply.body.get("error")
    error: dict[str, Any] = found if isinstance(found, dict) else {}
    message = str(error.get("message") or "")
    details = [d for d in error.get("details") or [] if isinstance(d, dict)]
    reasons = {str(detail.get("reason")) for detail in details}
    permission = next(
        (
            str(d["metadata"]["permission"])
            for d in details
            if "permission" in (d.get("metadata") or {})
        ),
        "aiplatform.endpoints.predict",
    )
    host = urlsplit(context.url).netloc
    project, location, target = context.project, context.location, context.target
    if reply.status == 0:
        return TokenSourceError(
            f"no answer from {host}: {reason(reply.problem)}",
            fix="check the network, proxy (HTTPS_PROXY) and --location; raise --timeout",
        )
    if reply.status == 401:
        return _unauthenticated(context)
    if reply.status == 403:
        return _forbidden(message, reasons, permission, context)
    if reply.status == 404:
        return _not_found(context)
    if reply.status == 429:
        return TokenSourceError(
            f"Vertex AI is rate-limiting {project} (HTTP 429): quota used up for now",
            fix="wait and retry, or ask for more quota: "
            "https://console.cloud.google.com/iam-admin/quotas",
        )
    if reply.status >= 500:
        return TokenSourceError(
            f"Vertex AI failed with HTTP {reply.status} at {host}", fix="try again in a minute"
        )
    said = f": {reason(message)}" if message else ""
    subject = f"model {target.id}" if target.kind == "model" else f"endpoint {target.id}"
    return TokenSourceError(
        f"Vertex AI answered HTTP {reply.status} for {subject} in {location}{said}",
        fix=f"vertex-openai-env check --probe --verbose  # project {project}",
    )


def _unauthenticated(context: Context) -> VertexEnvError:
    """Vertex refused the token itself: what renews it depends on where it came from."""
    kind = context.credential_kind
    who = f" of {context.account[:100]}" if context.account else ""
    if kind in _USER_KINDS:
        fix = f"{LOGIN}  # then run again with --no-cache"
    else:
        fix = fix_for(kind, context.account)
    return CredentialsError(
        f"Vertex AI refused the token{who} ({CREDENTIAL_KINDS.get(kind, kind)}): expired, "
        "revoked, or the account or key disabled",
        fix=fix,
    )


def _forbidden(
    message: str, reasons: set[str], permission: str, context: Context
) -> VertexEnvError:
    project = context.project
    # Checked first: Google reports a missing quota project as SERVICE_DISABLED on its own
    # OAuth client's project, which would read as "enable the API".
    quota = context.quota_project
    if quota and "USER_PROJECT_DENIED" in reasons:
        who = context.account or "you"
        return CredentialsError(
            f"{who[:100]} may not bill requests to the quota project {quota}",
            fix=f"gcloud projects add-iam-policy-binding {quota} --member=user:YOU@EXAMPLE.COM "
            "--role=roles/serviceusage.serviceUsageConsumer",
        )
    if "quota project" in message or (
        context.credential_kind in _USER_KINDS and "USER_PROJECT_DENIED" in reasons
    ):
        return CredentialsError(
            "user credentials need a quota project here: name one, and the export sends it "
            "along (OPENAI_CUSTOM_HEADERS: x-goog-user-project)",
            fix=f"gcloud auth application-default set-quota-project {project}  "
            f"# or pass --quota-project {project}",
        )
    if "SERVICE_DISABLED" in reasons or "has not been used" in message or "is disabled" in message:
        return CredentialsError(
            f"the Vertex AI API is not enabled in project {project}",
            fix=f"gcloud services enable aiplatform.googleapis.com --project {project}",
        )
    who = context.account or CREDENTIAL_KINDS.get(context.credential_kind, "these credentials")
    member = "serviceAccount" if who.endswith("gserviceaccount.com") else "user"
    return CredentialsError(
        f"{who[:100]} lacks {permission[:100]} in project {project}",
        # The account comes from a credentials file: quoted, it can only be an argument.
        fix=f"gcloud projects add-iam-policy-binding {project} "
        f"--member={shlex.quote(f'{member}:{who}')} --role=roles/aiplatform.user",
    )


def _not_found(context: Context) -> VertexEnvError:
    target, location, project = context.target, context.location, context.project
    if not target.id:
        return CredentialsError(
            f"Vertex AI does not know project {project} in {location}",
            fix=f"gcloud projects describe {project}",
        )
    if target.kind == "endpoint":
        return CredentialsError(
            f"endpoint {target.id} does not exist in {project}/{location}",
            fix=f"vertex-openai-env endpoints --project {project} --location {location}"
            + (f" --api-endpoint {context.api_endpoint}" if context.api_endpoint else ""),
        )
    return CredentialsError(
        f"model {target.id} is not served at {urlsplit(context.url).netloc} for {location} "
        "(a wrong model ID, or a model not offered in that location)",
        fix="check the model ID, or try --location global",
    )
