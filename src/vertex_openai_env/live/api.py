"""The Python API for long-running programs: a base URL, and a token that stays fresh.

    from openai import OpenAI
    from vertex_openai_env import TokenProvider, base_url

    client = OpenAI(base_url=base_url(project="p", location="us-central1"),
                    api_key=TokenProvider())

The OpenAI SDK calls `api_key` before every request; the provider answers from memory and
fetches a new token only when less than `min_valid` seconds remain. It is thread-safe.
Errors name arguments as Python does (`project=`), not as the command line does.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from datetime import datetime

from ..deadline import Deadline
from ..settings.place import Flags, resolve
from ..settings.sources import python_spelling
from ..tokens import request
from ..tokens.registry import fetch
from ..tokens.types import Minted


def base_url(
    project: str | None = None,
    location: str | None = None,
    *,
    endpoint: str | None = None,
    api_version: str | None = None,
    api_endpoint: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The OPENAI_BASE_URL for a project and location: managed models, or one `endpoint`.

    Unset arguments are resolved like the command line's (environment, then gcloud).
    """
    flags = Flags(
        project=project,
        location=location,
        endpoint=endpoint,
        api_version=api_version,
        api_endpoint=api_endpoint,
    )
    environ = os.environ if environ is None else environ
    place = resolve(flags, environ, target_required=False, spell=python_spelling)
    return place.destination().base_url


class TokenProvider:
    """A callable returning a valid access token; refreshes shortly before expiry."""

    def __init__(
        self,
        *,
        min_valid: float = 300,
        token_source: str | None = None,
        impersonate_service_account: str | None = None,
        lifetime: str | None = None,
        scopes: tuple[str, ...] = (),
        timeout: float = 10.0,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._environ = os.environ if environ is None else environ
        flags = request.TokenFlags(
            token_source=token_source,
            impersonate=impersonate_service_account,
            lifetime=lifetime,
            scopes=scopes,
        )
        self._request, _ = request.resolve(flags, self._environ, python_spelling)
        self._min_valid = min_valid
        self._timeout = timeout
        self._minted: Minted | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str:
        """The current token, fetched anew when it would expire within `min_valid` seconds."""
        with self._lock:
            minted = self._minted
            if minted is None or minted.token.seconds_left() < self._min_valid:
                minted = fetch(self._request, self._environ, Deadline(self._timeout))
                self._minted = minted
            return minted.token.value

    @property
    def expiry(self) -> datetime | None:
        """When the token last handed out stops working (UTC), or None before the first."""
        return self._minted.token.expiry if self._minted else None
