"""What the gateway remembers of its responses, in memory only and bounded: the last
responses stored (by count, bytes and age), their items for `item_reference`, and the
thought signatures of recent calls whatever `store` said.

A record holds the whole conversation through its response, so that continuing from it
needs nothing older; the lists share their items, and a record's size counts them all,
which overstates the memory held, never understates it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple

from ...durations import spoken

Json = dict[str, Any]
COUNT = 256
SIZE = 64 << 20
AGE = 3600.0
SIGNATURES = 4096


class Record(NamedTuple):
    response: Json  # as the client got it
    items: list[object]  # the conversation through this response: input items, then output
    inputs: list[object]  # this request's own input items
    size: int  # bytes, the conversation's before it included
    at: float  # when it was stored (the store's clock)


class Store:
    """The last `count` responses, `size` bytes at most, none older than `age` seconds."""

    def __init__(
        self,
        count: int = COUNT,
        size: int = SIZE,
        age: float = AGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._records: OrderedDict[str, Record] = OrderedDict()
        self._items: dict[str, Json] = {}  # an output item by its id
        self._count, self._size, self._age, self._clock = count, size, age, clock
        self._bytes = 0

    def describe(self) -> str:
        """What the store keeps, for messages: "the last 256 responses for 1h"."""
        return f"the last {self._count} responses for {spoken(int(self._age))}"

    def put(self, response: Json, items: list[object], inputs: list[object], size: int) -> None:
        """Keep `response`, unless it alone is over the size limit."""
        if size > self._size:
            return
        rid = str(response["id"])
        self._records[rid] = Record(response, items, inputs, size, self._clock())
        self._bytes += size
        for item in response.get("output") or []:
            self._items[str(item["id"])] = item
        while len(self._records) > self._count or self._bytes > self._size:
            self._drop(next(iter(self._records)))

    def get(self, rid: str) -> Record | None:
        """The record of response `rid`, if it is still kept."""
        self._expire()
        record = self._records.get(rid)
        if record is not None:
            self._records.move_to_end(rid)
        return record

    def delete(self, rid: str) -> bool:
        """Forget response `rid`; whether it was kept."""
        self._expire()
        if rid not in self._records:
            return False
        self._drop(rid)
        return True

    def item(self, item_id: str) -> Json | None:
        """An output item of a response still kept."""
        self._expire()
        return self._items.get(item_id)

    def _expire(self) -> None:
        oldest = self._clock() - self._age
        for rid in [rid for rid, record in self._records.items() if record.at < oldest]:
            self._drop(rid)

    def _drop(self, rid: str) -> None:
        record = self._records.pop(rid)
        self._bytes -= record.size
        for item in record.response.get("output") or []:
            self._items.pop(str(item["id"]), None)


class Signatures:
    """Gemini's thought signatures of the last `count` calls, by call_id."""

    def __init__(self, count: int = SIGNATURES) -> None:
        self._kept: OrderedDict[str, str] = OrderedDict()
        self._count = count

    def add(self, found: dict[str, str]) -> None:
        for call_id, signature in found.items():
            self._kept[call_id] = signature
            self._kept.move_to_end(call_id)
        while len(self._kept) > self._count:
            self._kept.popitem(last=False)

    def get(self, call_id: str) -> str | None:
        return self._kept.get(call_id)
