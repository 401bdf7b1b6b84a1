"""Vertex AI's REST surface the tool reads: list endpoints (paged by two) and get one.

`endpoints` maps a location to its endpoint resources; `vertex_error` builds the errors
Vertex's REST API answers, shaped as Google shapes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.fake.server import Call, Fault, Json, Reply, Route, json_reply
from tests.fake.tokens import Issuer

_PLACE = r"/v1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
_UNAUTHENTICATED = {"error": {"code": 401, "status": "UNAUTHENTICATED"}}


@dataclass
class VertexRest(Issuer):
    """`GET …/endpoints` and `GET …/endpoints/ID`, answered from `endpoints`."""

    endpoints: dict[str, list[Json]] = field(default_factory=dict)

    def vertex_rest_routes(self) -> Iterator[Route]:
        yield "GET", re.compile(f"{_PLACE}/endpoints"), self._list_endpoints
        yield "GET", re.compile(f"{_PLACE}/endpoints/(?P<endpoint>[^/]+)"), self._get_endpoint

    def _list_endpoints(self, call: Call, project: str, location: str) -> Reply:
        if not self.valid(call.bearer):
            return json_reply(401, _UNAUTHENTICATED)
        pages = self.endpoints.get(location, [])
        token = call.query.get("pageToken", ["0"])[0]
        index = int(token) if token.isdigit() else 0
        page: Json = {"endpoints": pages[index : index + 2]} if pages else {}
        if index + 2 < len(pages):
            page["nextPageToken"] = str(index + 2)
        return json_reply(200, page)

    def _get_endpoint(self, call: Call, project: str, location: str, endpoint: str) -> Reply:
        if not self.valid(call.bearer):
            return json_reply(401, _UNAUTHENTICATED)
        for item in self.endpoints.get(location, []):
            if item["name"].rsplit("/", 1)[-1] == endpoint:
                return json_reply(200, item)
        return json_reply(404, {"error": {"code": 404, "status": "NOT_FOUND"}})


def vertex_error(kind: str, project: str = "my-proj") -> Fault:
    """A fault: Vertex AI's own error reply for `kind`, as Google shapes it."""
    info = "type.googleapis.com/google.rpc.ErrorInfo"
    errors: dict[str, tuple[int, str, str, list[Json]]] = {
        "unauthenticated": (401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", []),
        "permission": (
            403,
            "PERMISSION_DENIED",
            "Permission 'aiplatform.endpoints.predict' denied on resource (or it may not exist).",
            [{"@type": info, "reason": "IAM_PERMISSION_DENIED",
              "metadata": {"permission": "aiplatform.endpoints.predict"}}],
        ),
        "api_disabled": (
            403,
            "PERMISSION_DENIED",
            f"Vertex AI API has not been used in project {project} before or it is disabled.",
            [{"@type": info, "reason": "SERVICE_DISABLED",
              "metadata": {"service": "aiplatform.googleapis.com"}}],
        ),
        "quota_project": (
            403,
            "PERMISSION_DENIED",
            "Your application is authenticating by using local Application Default "
            "Credentials. The aiplatform.googleapis.com API requires a quota project, which "
            "is not set by default.",
            [{"@type": info, "reason": "SERVICE_DISABLED",
              "metadata": {"consumer": "projects/764086051850"}}],
        ),
        "not_found": (404, "NOT_FOUND", "Publisher Model was not found.", []),
        "exhausted": (429, "RESOURCE_EXHAUSTED", "Resource has been exhausted.", []),
        "unavailable": (503, "UNAVAILABLE", "The service is currently unavailable.", []),
    }  # fmt: skip
    code, status, message, details = errors[kind]
    body = {"error": {"code": code, "message": message, "status": status, "details": details}}
    return lambda call: json_reply(code, body)
