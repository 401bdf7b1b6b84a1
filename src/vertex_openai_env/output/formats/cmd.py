"""`cmd`: `set "NAME=value"`, for cmd.exe."""

from __future__ import annotations

from .base import CONTROL, lines, refusing

# cmd has no quoting: %, ! and " keep their meaning inside set "...".
FORBIDDEN = CONTROL | frozenset('"%!')

FORMAT = lines(
    refusing("cmd", lambda name, value: f'set "{name}={value}"', FORBIDDEN),
    lambda name: f'set "{name}="',
)
