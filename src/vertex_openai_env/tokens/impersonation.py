"""Impersonating a service account: where IAM is, and what its refusals mean."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import CredentialsError, InputError
from ..settings import urls

_LIFETIME_POLICY = "constraints/iam.allowServiceAccountCredentialLifetimeExtension"


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


def explain(text: str, status: int | None, account: str) -> CredentialsError | None:
    """A one-line explanation of a refusal whose reply said `text`, or None if unknown."""
    if "allowServiceAccountCredentialLifetimeExtension" in text or "lifetime" in text.lower():
        return CredentialsError(
            f"IAM refused a token longer than 1h for {account}: the organisation policy "
            "does not allow it for this service account",
            fix=f"ask an organisation admin to list it in {_LIFETIME_POLICY}, or use --lifetime 1h",
        )
    if status == 403 or "iam.serviceAccounts.getAccessToken" in text or "PERMISSION_DENIED" in text:
        return CredentialsError(
            f"you may not impersonate {account}: it must exist and grant you "
            "the Service Account Token Creator role",
            fix=f"gcloud iam service-accounts add-iam-policy-binding {account} "
            "--member=user:YOU@EXAMPLE.COM --role=roles/iam.serviceAccountTokenCreator",
        )
    return None
