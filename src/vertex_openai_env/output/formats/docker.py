"""`docker`: `NAME=value` for `docker run --env-file`, which takes the rest of the line
literally, quotes included."""

from __future__ import annotations

from .base import lines, refusing

FORBIDDEN = frozenset("\0\n\r")
FORMAT = lines(refusing("docker", lambda name, value: f"{name}={value}", FORBIDDEN))
