"""Durations on the command line: `90m`, `12h`, `1h30m`, `45s` or plain seconds."""

from __future__ import annotations

import re

from .errors import InputError, shown

_PART = r"(\d+)([hms])"
_UNITS = {"h": 3600, "m": 60, "s": 1}


def parse_duration(text: str, option: str) -> int:
    """Seconds in `text`; InputError naming `option` when it is not a duration.

    >>> parse_duration("1h30m", "--lifetime")
    5400
    """
    value = text.strip().lower()
    if value.isdigit():
        return int(value)
    parts = re.findall(_PART, value)
    if not parts or "".join(number + unit for number, unit in parts) != value:
        raise InputError(f"{option} {shown(text)} is not a duration (such as 90m, 12h or 3600)")
    return sum(int(number) * _UNITS[unit] for number, unit in parts)


def spoken(seconds: int) -> str:
    """`5400` -> `1h30m`: durations in messages read the way they are typed."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "".join(f"{n}{u}" for n, u in ((hours, "h"), (minutes, "m"), (secs, "s")) if n)
    return text or "0s"
