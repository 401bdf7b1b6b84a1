"""The gateway's Google token: refreshed in the background, and on demand when it is gone.

Requests take the current token without waiting. A refresh starts `--min-valid` before
expiry; while it runs, or fails and is retried, requests keep the old token as long as it
is valid. Once it has expired (a failed refresh, a laptop woken from suspend), requests
wait for the next one, and ask for an attempt at most every `RETRY_EVERY` seconds, so
that the gateway recovers within about a second of the token endpoint's return. A request
is answered 503 as soon as an attempt made while it waits fails, and at its deadline at
the latest; an attempt that hangs does not hold up the next.

A 401 from Vertex asks for a forced refresh (the next token, not the cache's): once per
token, joined by every request the same token failed; a 401 for a token already replaced
takes the current one; a new token refused again waits `FORCED_PAUSES` before the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping

from ..deadline import Deadline
from ..errors import VertexEnvError, reason
from ..job import Job
from ..live.watch import next_refresh, refresh_failed, retry_pauses
from ..pipeline import mint
from ..tokens.types import Minted

EXPIRY_MARGIN = 1.0  # seconds: a token this close to expiry may die on its way to Vertex
RETRY_EVERY = 1.0  # seconds between attempts while requests wait for a token
ATTEMPTS_MOST = 4  # attempts in flight at once: a hung one does not hold up the next
FORCED_FIRST, FORCED_LAST = 1.0, 60.0  # seconds between forced refreshes refused in a row


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
        self._attempts: set[asyncio.Task[Minted]] = set()
        self._latest: asyncio.Task[Minted] | None = None  # the attempt started last
        self._started = -RETRY_EVERY  # time.monotonic() of the last attempt's start
        self._failure = ""  # why the last attempt failed; empty once one succeeds
        self._failed = float("-inf")  # time.monotonic() when the latest failed attempt began
        self._changed = asyncio.Event()  # set when an attempt ends, replaced then
        self._forced: tuple[str, asyncio.Task[Minted]] | None = None  # (refused, renewal)
        self._forced_next = 0.0  # time.monotonic() before which no forced refresh starts
        self._forced_pause = FORCED_FIRST
        self._task: asyncio.Task[None] | None = None

    @property
    def quota_project(self) -> str | None:
        return self._minted.credential.quota_project

    def start(self) -> None:
        """Keep the token fresh in the background until `stop`."""
        self._task = asyncio.create_task(self._keep_fresh())

    async def stop(self) -> None:
        for task in (self._task, *self._attempts):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def token(self, deadline: float) -> str:
        """A valid token: the current one, or, once it has expired, the next one to come
        before `deadline` (a time.monotonic()); Unavailable when none comes."""
        since = time.monotonic()
        while True:
            token = self._minted.token
            if token.seconds_left() > EXPIRY_MARGIN:
                return token.value
            now = time.monotonic()
            if now >= deadline or self._failed >= since:  # no token in time, or a "no"
                raise Unavailable(self._unavailable())
            if now >= self._started + RETRY_EVERY and len(self._attempts) < ATTEMPTS_MOST:
                self._attempt(forced=False)
            wait = deadline - now  # all attempts in flight: until one ends
            if len(self._attempts) < ATTEMPTS_MOST:  # or until the next may start
                wait = min(wait, max(self._started + RETRY_EVERY - now, 0.01))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), wait)

    async def renewed(self, refused: str, deadline: float) -> str | None:
        """A token other than `refused` (which Vertex turned down): the current one when it
        has been replaced, else a forced refresh's; None when the current token came from a
        forced refresh too short a while ago (Vertex's 401 then goes back as it is)."""
        current = self._minted.token.value
        if current != refused:
            return current
        if self._forced is not None and self._forced[0] == refused:
            renewal = self._forced[1]  # joined: one renewal per token
        elif time.monotonic() < self._forced_next:
            return None
        else:
            now = time.monotonic()
            recent = now - self._forced_next < FORCED_LAST
            self._forced_pause = min(self._forced_pause * 2, FORCED_LAST) if recent else 1.0
            self._forced_next = now + self._forced_pause
            renewal = self._attempt(forced=True)
            self._forced = (refused, renewal)
        try:
            wait = max(deadline - time.monotonic(), 0.001)
            return (await asyncio.wait_for(asyncio.shield(renewal), wait)).token.value
        except (VertexEnvError, asyncio.TimeoutError):
            raise Unavailable(
                f"Vertex AI refused the Google token, and getting a new one failed: "
                f"{self._failure or 'no answer in time'}"
            ) from None

    def _unavailable(self) -> str:
        why = self._failure or "no answer in time"
        return f"the Google token has expired and refreshing it failed: {why}"

    def _attempt(self, forced: bool) -> asyncio.Task[Minted]:
        """A refresh: a new attempt, or the latest one when ATTEMPTS_MOST are in flight."""
        if len(self._attempts) >= ATTEMPTS_MOST and self._latest is not None:
            return self._latest
        self._started = time.monotonic()
        task = asyncio.create_task(self._fetch(forced, self._started))
        self._attempts.add(task)
        self._latest = task
        return task

    async def _refresh(self, forced: bool) -> Minted:
        """The next token; an attempt already under way is joined, not repeated."""
        task = self._latest if self._attempts and self._latest else self._attempt(forced)
        return await asyncio.shield(task)

    async def _fetch(self, forced: bool, started: float) -> Minted:
        try:
            minted = await asyncio.to_thread(self._mint, forced)
        except VertexEnvError as exc:
            self._failure, self._failed = exc.message, max(self._failed, started)
            raise
        except Exception as exc:
            self._failure, self._failed = reason(exc), max(self._failed, started)
            raise VertexEnvError(self._failure) from exc
        finally:
            task = asyncio.current_task()
            self._attempts.discard(task)
            self._changed.set()
            self._changed = asyncio.Event()
        if forced or minted.token.expiry >= self._minted.token.expiry:
            self._minted = minted  # a hung attempt ending late does not bring back the past
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
