"""Request bodies as they arrive: at most `BODY_LIMIT` bytes, never stalled, and kept for a
replay only while all the kept bodies together fit `KEPT_LIMIT`.

`BODY_LIMIT` is the largest request Google documents for Gemini: inline data of up to
100 MB (base64), since January 2026 (https://blog.google/innovation-and-ai/technology/
developers-tools/gemini-api-new-file-limits). Vertex AI in Firebase documents 20 MB, and
answers 413 above it; the gateway refuses only what no Google endpoint takes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import StreamReader, web

from . import refusals
from .translate.problems import Unsendable

BODY_LIMIT = 100 << 20  # bytes: a larger request body is refused (413)
STALL = 10.0  # seconds a body may go without a byte, and its head start on RATE
RATE = 64 << 10  # bytes a second a body must average after its first STALL seconds
KEPT_LIMIT = 64 << 20  # bytes of bodies kept for a replay after a 401, all requests together


class BodyRefused(Unsendable):
    """A body too big (413) or too slow (408)."""

    def reply(self) -> web.Response:
        """The refusal, and the connection closed after it: the rest of the body is not
        worth reading."""
        response = refusals.refusal(self.status, self.code, self.message)
        response.force_close()
        return response


def too_big() -> BodyRefused:
    return BodyRefused(
        f"the body is over {BODY_LIMIT >> 20} MiB, the most Google takes in a request "
        "(send large files by Cloud Storage URI)", code="request_too_large", status=413
    )  # fmt: skip


class Paced:
    """A request body read chunk by chunk, refused as soon as it is too big or too slow."""

    def __init__(self, content: StreamReader, declared: int | None) -> None:
        self._declared = declared
        self._content = content
        self._started = time.monotonic()
        self.size = 0
        self.refused: BodyRefused | None = None  # why the body was refused, once it was

    def check(self) -> None:
        """BodyRefused when the body's declared length is over the limit."""
        if self._declared is not None and self._declared > BODY_LIMIT:
            raise self._refused(too_big())

    async def chunk(self) -> bytes:
        """The next chunk, b"" at the end; BodyRefused when over the limit or late."""
        deadline = self._started + STALL + self.size / RATE
        wait = min(STALL, deadline - time.monotonic())
        try:
            data = await asyncio.wait_for(self._content.readany(), max(wait, 0.001))
        except asyncio.TimeoutError:
            slow = BodyRefused(
                f"the body came too slowly (less than {RATE >> 10} KiB/s, or nothing for "
                f"{STALL:g}s)", code="request_timeout", status=408
            )  # fmt: skip
            raise self._refused(slow) from None
        self.size += len(data)
        if self.size > BODY_LIMIT:
            raise self._refused(too_big())
        return data

    def _refused(self, refused: BodyRefused) -> BodyRefused:
        self.refused = refused
        return refused

    async def up_to(self, limit: int) -> tuple[bytes, bool]:
        """The chunks up to the one that passes `limit`; and whether that was the whole body."""
        return await read_up_to(self.chunk, limit)

    async def rest(self, head: bytes) -> AsyncIterator[bytes]:
        """`head`, then the rest of the body as it comes."""
        yield head
        while data := await self.chunk():
            yield data


async def read_up_to(chunk: Callable[[], Awaitable[bytes]], limit: int) -> tuple[bytes, bool]:
    """What `chunk()` gives (b"" at the end), up to the chunk that passes `limit`; and
    whether that was all."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        data = await chunk()
        if not data:
            return b"".join(chunks), True
        chunks.append(data)
        size += len(data)
    return b"".join(chunks), False


class Kept:
    """How many bytes of bodies are kept for a replay, all requests together."""

    def __init__(self, limit: int = KEPT_LIMIT) -> None:
        self.limit = limit
        self.size = 0

    def reserve(self, size: int) -> bool:
        """Count `size` more bytes kept, if they fit."""
        if self.size + size > self.limit:
            return False
        self.size += size
        return True

    def release(self, size: int) -> None:
        self.size -= size
