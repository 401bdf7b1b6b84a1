"""The gateway's Google token: refreshed in the background, one refresh in flight at a time.

Requests take the current token without waiting. A refresh starts `--min-valid` before
expiry; while it runs, or fails and is retried, requests keep the old token as long as it
is valid. Only an expired token with no way to a new one makes requests fail (503, with
the reason). A 401 from Vertex asks for a forced refresh: the next token, not the cache's.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping

from ..deadline import Deadline
from ..errors import VertexEnvError, reason
from ..job import Job
from ..live.watch import next_refresh, refresh_failed, retry_pauses
from ..pipeline import mint
from ..tokens.types import Minted

EXPIRY_MARGIN = 1.0  # seconds: a token this close to expiry may die on its way to Vertex


class Unavailable(Exception):
    """No valid token, and none to be had right now; the message says why."""


class TokenKeeper:
    """The current token for `job`, starting from `minted` (what the export fetched)."""

    def __init__(
        self, job: Job, environ: Mapping[str, str], minted: Minted, say: Callable[[str], None]
    ) -> None:
        self._job = job
        self._environ = environ
        self._minted = minted
        self._say = say
        self._inflight: asyncio.Task[Minted] | None = None
        self._failure = ""  # why the last refresh failed; empty once one succeeds
        self._task: asyncio.Task[None] | None = None

    @property
    def quota_project(self) -> str | None:
        return self._minted.credential.quota_project

    def start(self) -> None:
        """Keep the token fresh in the background until `stop`."""
        self._task = asyncio.create_task(self._keep_fresh())

    async def stop(self) -> None:
        for task in (self._task, self._inflight):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def token(self) -> str:
        """A valid token: the current one, or, once it has expired, the next one."""
        token = self._minted.token
        if token.seconds_left() > EXPIRY_MARGIN:
            return token.value
        if self._failure and self._inflight is None:
            raise Unavailable(self._unavailable())
        try:
            return (await self._refresh(forced=False)).token.value
        except VertexEnvError:
            raise Unavailable(self._unavailable()) from None

    async def renewed(self, refused: str) -> str:
        """A token other than `refused` (which Vertex turned down): refreshed unless one was."""
        if self._minted.token.value != refused:
            return self._minted.token.value
        try:
            return (await self._refresh(forced=True)).token.value
        except VertexEnvError:
            raise Unavailable(
                f"Vertex AI refused the Google token, and getting a new one failed: {self._failure}"
            ) from None

    def _unavailable(self) -> str:
        return f"the Google token has expired and refreshing it failed: {self._failure}"

    async def _refresh(self, forced: bool) -> Minted:
        """The next token; a refresh already under way is joined, not repeated."""
        if self._inflight is None:
            self._inflight = asyncio.create_task(self._fetch(forced))
        task = self._inflight
        return await asyncio.shield(task)

    async def _fetch(self, forced: bool) -> Minted:
        try:
            minted = await asyncio.to_thread(self._mint, forced)
        except VertexEnvError as exc:
            self._failure = exc.message
            raise
        except Exception as exc:
            self._failure = reason(exc)
            raise VertexEnvError(self._failure) from exc
        finally:
            self._inflight = None
        self._minted = minted
        self._failure = ""
        return minted

    def _mint(self, forced: bool) -> Minted:
        """A token as the export gets one: from the cache if it holds a newer one, unless
        `forced` (the token Vertex refused may be the cache's: the new one replaces it)."""
        deadline = Deadline(self._job.timeout)
        minted, notes, _ = mint(self._job, self._environ, deadline, fresh=forced)
        for note in notes:  # the cache could not be used: said at each refresh, hourly
            self._say(f"note: {note}")
        return minted

    async def _keep_fresh(self) -> None:
        while True:
            wait = next_refresh(self._minted.token.seconds_left(), self._job.min_valid)
            await asyncio.sleep(wait)
            for pause in retry_pauses():
                try:
                    await self._refresh(forced=False)
                    break
                except VertexEnvError as exc:
                    left = self._minted.token.seconds_left()
                    self._say(refresh_failed(exc.message, pause, left))
                await asyncio.sleep(pause)
