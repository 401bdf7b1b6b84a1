"""The GCE / Cloud Run / GKE metadata server, as google-auth asks it (GCE_METADATA_HOST).

Every answer carries `Metadata-Flavor: Google`, which google-auth's probe looks for; the
token and email paths refuse a request without that header, as the real server does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from tests.fake.server import Call, Reply, Route
from tests.fake.tokens import Issuer

_ACCOUNT = "/computeMetadata/v1/instance/service-accounts/default"


@dataclass
class MetadataServer(Issuer):
    """The metadata paths google-auth reads: the probe, project, account, email and token."""

    def metadata_routes(self) -> Iterator[Route]:
        yield "GET", re.compile(r"/"), self._metadata_root
        yield "GET", re.compile(r"/computeMetadata/v1/project/project-id"), self._md_project
        yield "GET", re.compile(f"{_ACCOUNT}/"), self._md_info
        yield "GET", re.compile(f"{_ACCOUNT}/token"), self._md_token
        yield "GET", re.compile(f"{_ACCOUNT}/email"), self._md_email

    def _metadata_root(self, call: Call) -> Reply:
        return 200, {"metadata-flavor": "Google", "content-type": "text/plain"}, b"computeMetadata/"

    def _md_project(self, call: Call) -> Reply:
        return metadata_reply(self.project.encode())

    def _md_info(self, call: Call) -> Reply:
        info = {
            "email": self.sa_email,
            "scopes": ["https://www.googleapis.com/auth/cloud-platform"],
        }
        return metadata_reply(json.dumps(info).encode(), "application/json")

    def _md_email(self, call: Call) -> Reply:
        if call.headers.get("metadata-flavor") != "Google":
            return 403, {}, b"missing Metadata-Flavor"
        return metadata_reply(self.sa_email.encode())

    def _md_token(self, call: Call) -> Reply:
        if call.headers.get("metadata-flavor") != "Google":
            return 403, {}, b"missing Metadata-Flavor"
        token, _ = self.issue()
        body = {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}
        return metadata_reply(json.dumps(body).encode(), "application/json")


def metadata_reply(body: bytes, content_type: str = "application/text") -> Reply:
    return 200, {"metadata-flavor": "Google", "content-type": content_type}, body
