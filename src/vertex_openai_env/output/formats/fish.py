"""`fish`: `set -gx NAME 'value'`."""

from __future__ import annotations

from .base import lines, refusing


def quote(value: str) -> str:
    """fish single quotes, inside which only \\\\ and \\' are escapes."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


FORMAT = lines(
    refusing("fish", lambda name, value: f"set -gx {name} {quote(value)}"),
    lambda name: f"set -e {name}",
)
