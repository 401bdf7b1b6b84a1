"""`sh`: `export NAME='value'`, for bash, zsh, dash and ksh."""

from __future__ import annotations

from .base import lines, refusing


def quote(value: str) -> str:
    """POSIX single quotes: nothing inside is special; a quote is closed, escaped, reopened."""
    return "'" + value.replace("'", "'\\''") + "'"


FORMAT = lines(
    refusing("sh", lambda name, value: f"export {name}={quote(value)}"), lambda n: f"unset {n}"
)
