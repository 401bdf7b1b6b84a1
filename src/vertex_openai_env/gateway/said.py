"""Explanations of failures on stderr: each kind once, in bounded memory and at a bounded rate.

The first 403 says all the next ones would; but a client that makes every failure new (a
model name per request, say) must not grow the memory or the log without end. The last
`REMEMBERED` explanations are remembered; at most `PER_MINUTE` new ones are said a minute,
and the rest are counted in the next line said.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

REMEMBERED = 256  # distinct explanations kept, to say each once
PER_MINUTE = 30  # new explanations said a minute at most


class Once:
    """`say`, each distinct line once (of the last REMEMBERED), at most PER_MINUTE a minute."""

    def __init__(self, say: Callable[[str], None], clock: Callable[[], float] = time.monotonic):
        self._say = say
        self._clock = clock
        self._said: OrderedDict[str, None] = OrderedDict()
        self._window = clock()
        self._in_window = 0
        self.unsaid = 0  # new explanations left unsaid since the last one said

    def __len__(self) -> int:
        return len(self._said)

    def __call__(self, line: str) -> None:
        if line in self._said:
            self._said.move_to_end(line)
            return
        now = self._clock()
        if now - self._window >= 60:
            self._window, self._in_window = now, 0
        if self._in_window >= PER_MINUTE:
            self.unsaid += 1
            return
        self._in_window += 1
        self._said[line] = None
        if len(self._said) > REMEMBERED:
            self._said.popitem(last=False)
        if self.unsaid:
            line += f" ({self.unsaid} other failures were not explained: too many kinds at once)"
            self.unsaid = 0
        self._say(line)
