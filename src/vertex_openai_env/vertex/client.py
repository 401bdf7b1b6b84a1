"""The few Vertex AI REST calls: list and get endpoints, and a one-token chat probe.

Plain `urllib` keeps these off the import path of the exporter. Every call ends by the
command's deadline, however slowly a server drips its reply. A failed call raises
`ApiFailure` with the reply: `diagnose` decides what it means.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from typing import Any, NamedTuple

from ..deadline import Deadline
from ..output.variables import QUOTA_HEADER
from ..settings.urls import HOST_PATTERN

MAX_PAGES = 1000
DEDICATED_DOMAIN = ".prediction.vertexai.goog"
MAX_REPLY = 1 << 22


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would repeat the Authorization header to wherever a redirect points."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


class Reply(NamedTuple):
    """What Vertex answered: the HTTP status (0: no answer), the JSON body, the time taken."""

    status: int
    body: dict[str, Any]
    seconds: float
    problem: str = ""  # why there was no answer, when status is 0

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class ApiFailure(Exception):
    """A call that did not succeed; `reply` says how."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


class Endpoint(NamedTuple):
    """One Vertex endpoint, as `endpoints` lists it."""

    id: str
    display_name: str
    deployed_models: tuple[str, ...]
    dedicated_dns: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "display_name": self.display_name,
            "deployed_models": list(self.deployed_models),
            "dedicated_dns": self.dedicated_dns,
        }


class Client:
    """Authorised calls to one API root (such as https://us-central1-aiplatform.googleapis.com)."""

    def __init__(
        self, root: str, token: str, quota_project: str | None, deadline: Deadline
    ) -> None:
        self.root = root
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if quota_project:
            self._headers[QUOTA_HEADER] = quota_project
        self.deadline = deadline

    def call(self, method: str, url: str, body: dict[str, Any] | None = None) -> Reply:
        """One request; a reply that is not an answer (no connection, time out) has status 0."""
        step = url.split("?", 1)[0]
        timeout = self.deadline.left(step)
        return self.deadline.run(lambda: step, lambda: self._exchange(method, url, body, timeout))

    def _exchange(
        self, method: str, url: str, body: dict[str, Any] | None, timeout: float
    ) -> Reply:
        data = json.dumps(body).encode() if body is not None else None
        # The URL is built from a validated http(s) root.
        request = urllib.request.Request(url, data=data, method=method, headers=self._headers)  # noqa: S310
        started = time.monotonic()
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                status, raw = response.status, response.read(MAX_REPLY)
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read(MAX_REPLY)
        except (urllib.error.URLError, OSError) as exc:
            cause = getattr(exc, "reason", exc)
            problem = "timed out" if isinstance(cause, TimeoutError) else str(cause)
            return Reply(0, {}, time.monotonic() - started, problem)
        return Reply(status, _json_object(raw), time.monotonic() - started)

    def endpoints(self, project: str, location: str) -> list[Endpoint]:
        """Every endpoint of a location, following the pages."""
        url = f"{self.root}/v1/projects/{project}/locations/{location}/endpoints"
        found: list[Endpoint] = []
        page = ""
        for _ in range(MAX_PAGES):
            body = self._ok(self.call("GET", url + (f"?pageToken={page}" if page else "")))
            found += (endpoint(item) for item in body.get("endpoints") or [])
            page = str(body.get("nextPageToken") or "")
            if not page:
                return found
            if not re.fullmatch(r"[A-Za-z0-9_=-]+", page):
                raise ApiFailure(Reply(502, {}, 0.0, "a malformed page token"))
        raise ApiFailure(Reply(502, {}, 0.0, f"more than {MAX_PAGES} pages"))

    def endpoint(self, project: str, location: str, endpoint_id: str) -> Endpoint:
        """One endpoint by ID."""
        url = f"{self.root}/v1/projects/{project}/locations/{location}/endpoints/{endpoint_id}"
        return endpoint(self._ok(self.call("GET", url)))

    @staticmethod
    def _ok(reply: Reply) -> dict[str, Any]:
        if not reply.ok:
            raise ApiFailure(reply)
        return reply.body


def endpoint(item: dict[str, Any]) -> Endpoint:
    """An Endpoint from the API's JSON; a dedicated DNS name that is not a host name is dropped."""
    models = tuple(
        str(
            model.get("displayName") or model.get("model", "").rsplit("/", 1)[-1] or model.get("id")
        )
        for model in item.get("deployedModels") or []
    )
    dns = str(item.get("dedicatedEndpointDns") or "")
    return Endpoint(
        id=str(item.get("name", "")).rsplit("/", 1)[-1],
        display_name=str(item.get("displayName", "")),
        deployed_models=models,
        dedicated_dns=dns if _dedicated_host(dns) else None,
    )


def _dedicated_host(dns: str) -> bool:
    """A dedicated endpoint's own name is Google's: the token goes to no other host."""
    return bool(re.fullmatch(HOST_PATTERN, dns)) and dns.lower().endswith(DEDICATED_DOMAIN)


def probe(client: Client, base_url: str, model: str | None) -> Reply:
    """The smallest chat completion: one word in, at most one token out."""
    body: dict[str, Any] = {"messages": [{"role": "user", "content": "ping"}], "max_tokens": 1}
    if model:
        body["model"] = model
    return client.call("POST", f"{base_url}/chat/completions", body)


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python parses
        return {}
    return parsed if isinstance(parsed, dict) else {}
