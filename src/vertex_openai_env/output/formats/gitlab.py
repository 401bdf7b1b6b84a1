"""`gitlab`: `NAME=value` for GitLab's dotenv reports, which keep quotes literally, strip
both ends of a value and expand $VARIABLES."""

from __future__ import annotations

from ...errors import InputError
from .base import CONTROL, lines, refusing

FORBIDDEN = CONTROL | frozenset("$")


def _assign(name: str, value: str) -> str:
    if value != value.strip(" \t\n\v\f\r\0"):
        raise InputError(
            f"the gitlab format cannot carry the value of {name}: it has spaces at an end"
        )
    return f"{name}={value}"


FORMAT = lines(refusing("gitlab", _assign, FORBIDDEN))
