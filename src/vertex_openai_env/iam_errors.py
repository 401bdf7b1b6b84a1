"""Explaining IAM's refusals to impersonate a service account, for every token source."""

from __future__ import annotations

from .errors import CredentialsError

_LIFETIME_POLICY = "constraints/iam.allowServiceAccountCredentialLifetimeExtension"


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
