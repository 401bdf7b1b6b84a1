"""IAM Credentials' generateAccessToken: impersonation, as google-auth and gcloud call it.

It wants a valid source token, refuses accounts listed in `iam_denied` (403) and lifetimes
over `max_impersonation_lifetime` (400, with Google's own message about the org policy).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.fake.server import Call, Json, Reply, Route, json_reply
from tests.fake.tokens import Issuer


@dataclass
class Iam(Issuer):
    """`POST /v1/projects/-/serviceAccounts/SA:generateAccessToken`."""

    max_impersonation_lifetime: int = 43200
    iam_denied: set[str] = field(default_factory=set)

    def iam_routes(self) -> Iterator[Route]:
        path = r"/v1/projects/-/serviceAccounts/(?P<sa>[^/:]+):generateAccessToken"
        yield "POST", re.compile(path), self._generate_access_token

    def _generate_access_token(self, call: Call, sa: str) -> Reply:
        if not self.valid(call.bearer):
            return json_reply(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}})
        request = call.json()
        lifetime = int(str(request.get("lifetime", "3600s")).rstrip("s"))
        if sa in self.iam_denied:
            message = "Permission 'iam.serviceAccounts.getAccessToken' denied on resource"
            return json_reply(403, iam_error(403, message, "PERMISSION_DENIED"))
        if lifetime > self.max_impersonation_lifetime:
            message = (
                f"Access tokens for service account {sa} can not have lifetimes of more than "
                "1 hour. Use the Org Policy Constraint constraints/iam."
                "allowServiceAccountCredentialLifetimeExtension to allow up to 12 hours."
            )
            return json_reply(400, iam_error(400, message, "INVALID_ARGUMENT"))
        token, expiry = self.issue(lifetime)
        return json_reply(
            200, {"accessToken": token, "expireTime": expiry.strftime("%Y-%m-%dT%H:%M:%SZ")}
        )


def iam_error(code: int, message: str, status: str) -> Json:
    return {"error": {"code": code, "message": message, "status": status}}
