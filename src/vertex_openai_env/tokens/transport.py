"""The HTTP transport handed to google-auth: a bounded timeout and a memory of the last reply.

Imported only when a token is really fetched: it pulls in requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import google.auth.exceptions
import google.auth.transport
import google.auth.transport.requests
import requests

from ..deadline import Deadline


@dataclass
class Exchange:
    """What the last request saw, for error messages: never bodies, which may hold secrets."""

    url: str = ""
    status: int | None = None
    content_type: str = ""
    timed_out: bool = False

    @property
    def place(self) -> str:
        """`https://oauth2.googleapis.com/token`: the URL without its query, as messages
        name it."""
        return self.url.split("?", 1)[0]


class BoundedRequest(google.auth.transport.Request):
    """A google-auth Request whose every call ends by the deadline, `per_call` at most."""

    def __init__(self, deadline: Deadline, per_call: float | None = None) -> None:
        self.deadline = deadline
        self.per_call = deadline.seconds if per_call is None else per_call
        self.last = Exchange()
        self._send = google.auth.transport.requests.Request()

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> google.auth.transport.Response:
        self.last = Exchange(url=url)
        limit = min(self.per_call, self.deadline.left(self.last.place))
        if timeout is not None:
            limit = min(limit, timeout)
        try:
            response: google.auth.transport.Response = self._send(
                url, method=method, body=body, headers=headers, timeout=limit, **kwargs
            )
        except google.auth.exceptions.TransportError as exc:
            self.last.timed_out = isinstance(exc.__cause__, requests.Timeout)
            raise
        self.last.status = response.status
        self.last.content_type = response.headers.get("content-type", "")
        return response
