"""Server-sent events from Vertex AI, cut into the `data:` payloads they carry.

Vertex writes `data: {json}` events separated by blank lines and ends with
`data: [DONE]`; a network read may end anywhere, even inside a line.
"""

from __future__ import annotations

DONE = "[DONE]"


class Events:
    """Feed it bytes as they arrive; it gives back each complete event's data."""

    def __init__(self) -> None:
        self._pending = b""
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[str]:
        """The data of every event that `chunk` completes, in order."""
        self._pending += chunk
        *lines, self._pending = self._pending.split(b"\n")
        found = []
        for raw in lines:
            line = raw.rstrip(b"\r").decode("utf-8", "replace")
            if not line:
                if self._data:
                    found.append("\n".join(self._data))
                    self._data = []
            elif line.startswith("data:"):
                self._data.append(line[5:].removeprefix(" "))
            # Comments (`:`), `event:`, `id:` and `retry:` lines carry nothing used here.
        return found

    def end(self) -> list[str]:
        """What is left when the stream ends: an event without its closing blank line."""
        return self.feed(b"\n\n") if self._pending or self._data else []
