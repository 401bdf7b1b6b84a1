"""`powershell`: `$Env:NAME = 'value'`."""

from __future__ import annotations

from .base import lines, refusing

# PowerShell closes a single-quoted string on any of these, not only on the ASCII quote.
QUOTES = "'\u2018\u2019\u201a\u201b"


def quote(value: str) -> str:
    """A doubled quote character stands for itself inside a single-quoted string."""
    return "'" + "".join(c + c if c in QUOTES else c for c in value) + "'"


# Piped line by line into Invoke-Expression: a value must stay on one line.
FORBIDDEN = frozenset("\0\n\r")
FORMAT = lines(
    refusing("powershell", lambda name, value: f"$Env:{name} = {quote(value)}", FORBIDDEN),
    lambda name: f"Remove-Item Env:{name} -ErrorAction SilentlyContinue",
)
