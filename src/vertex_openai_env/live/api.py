"""The Python API for long-running programs: a base URL, and a token that stays fresh.

    from openai import AsyncOpenAI, OpenAI
    from vertex_openai_env import AsyncTokenProvider, TokenProvider, base_url

    tokens = TokenProvider()
    client = OpenAI(base_url=base_url(project="p", location="us-central1"),
                    api_key=tokens, default_headers=tokens.default_headers)
    client = AsyncOpenAI(base_url=..., api_key=AsyncTokenProvider())

The OpenAI SDK calls `api_key` before every request; a provider answers from memory and
fetches a new token only when less than `min_valid` seconds remain. `TokenProvider` is
thread-safe; `AsyncTokenProvider` is awaitable, shares one refresh among concurrent
callers, and refreshes in a thread so that the event loop never waits on google-auth.
Errors name arguments as Python does (`project=`), not as the command line does.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Mapping
from datetime import datetime

from ..deadline import Deadline
from ..output.variables import QUOTA_HEADER
from ..settings.place import Flags, resolve_place
from ..settings.sources import Sources, python_spelling
from ..tokens import credentials_file, request
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
    sources = Sources(environ, python_spelling("base_url"))
    place = resolve_place(flags, sources, target_required=False)
    return place.destination().base_url


class _Tokens:
    """What both providers share: the request, the environment, the last token."""

    def __init__(
        self,
        *,
        min_valid: float = 300,
        token_source: str | None = None,
        impersonate_service_account: str | None = None,
        lifetime: str | None = None,
        scopes: tuple[str, ...] = (),
        quota_project: str | None = None,
        timeout: float = 10.0,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._environ = os.environ if environ is None else environ
        flags = request.TokenFlags(
            token_source=token_source,
            impersonate=impersonate_service_account,
            lifetime=lifetime,
            quota_project=quota_project,
            scopes=scopes,
        )
        sources = Sources(self._environ, python_spelling(type(self).__name__))
        self._request, _ = request.resolve_token(flags, sources)
        self._min_valid = min_valid
        self._timeout = timeout
        self._minted: Minted | None = None
        self._lock = threading.Lock()  # TokenProvider: one thread fetches at a time
        self._refresh: asyncio.Future[Minted] | None = None  # AsyncTokenProvider: in flight

    def _fresh(self) -> Minted | None:
        """The last token if it stays valid `min_valid` seconds more."""
        minted = self._minted
        return minted if minted and minted.token.seconds_left() >= self._min_valid else None

    def _fetch(self) -> Minted:
        self._minted = fetch(self._request, self._environ, Deadline(self._timeout))
        return self._minted

    @property
    def expiry(self) -> datetime | None:
        """When the token last handed out stops working (UTC), or None before the first."""
        return self._minted.token.expiry if self._minted else None

    @property
    def default_headers(self) -> dict[str, str]:
        """The headers Google's own libraries would add: `x-goog-user-project` when the
        credentials carry a quota project. For the SDKs' `default_headers`; no network."""
        if self._minted is not None:
            quota = self._minted.credential.quota_project
        else:
            quota = self._request.quota_project or credentials_file.login_quota_project(
                self._request, self._environ, Deadline(self._timeout)
            )
        return {QUOTA_HEADER: quota} if quota else {}


class TokenProvider(_Tokens):
    """A callable returning a valid access token; refreshes shortly before expiry."""

    def __call__(self) -> str:
        """The current token, fetched anew when it would expire within `min_valid` seconds."""
        with self._lock:
            minted = self._fresh() or self._fetch()
            return minted.token.value


async def _no_arguments() -> str:  # pragma: no cover - only its code object is used
    raise NotImplementedError


class AsyncTokenProvider(_Tokens):
    """An async callable returning a valid access token, for `AsyncOpenAI(api_key=...)`."""

    # LangChain's ChatOpenAI asks inspect.iscoroutinefunction() whether an api_key is async;
    # an object with an async __call__ is not, unless it looks like an async function (the
    # duck type inspect accepts from Cython). Otherwise it would be called in a thread and
    # the coroutine object sent as the token.
    __code__ = _no_arguments.__code__
    __defaults__ = None
    __kwdefaults__ = None
    __name__ = "AsyncTokenProvider"

    async def __call__(self) -> str:
        """The current token; callers that arrive during a refresh all await that one."""
        minted = self._fresh()
        if minted is not None:
            return minted.token.value
        loop = asyncio.get_running_loop()
        refresh = self._refresh
        if refresh is None or refresh.done() or refresh.get_loop() is not loop:
            refresh = self._refresh = loop.run_in_executor(None, self._fetch)
        return (await asyncio.shield(refresh)).token.value
