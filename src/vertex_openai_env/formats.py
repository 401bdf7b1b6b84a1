"""One renderer per output format (pure: a mapping of variables in, text out).

Every value is quoted for its target; a value a format cannot carry exactly is refused,
never pasted raw.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InputError

Assign = Callable[[str, str], str]


@dataclass(frozen=True)
class Format:
    """How one shell or file format sets (and removes) a variable."""

    name: str
    assign: Assign
    unset: Callable[[str], str] | None = None


def _refuse(fmt: str, name: str, what: str) -> InputError:
    return InputError(f"the {fmt} format cannot carry the value of {name}: it contains {what}")


def _refuse_chars(fmt: str, name: str, value: str, forbidden: str) -> None:
    for char in value:
        if char in forbidden or ord(char) < 0x20 or ord(char) == 0x7F:
            raise _refuse(fmt, name, repr(char))


def sh_quote(value: str) -> str:
    """POSIX single quotes: nothing inside is special; a quote is closed, escaped, reopened."""
    return "'" + value.replace("'", "'\\''") + "'"


def _sh(name: str, value: str) -> str:
    if "\0" in value:
        raise _refuse("sh", name, "a NUL character")
    return f"export {name}={sh_quote(value)}"


def dotenv_assign(name: str, value: str) -> str:
    """`NAME='value'`, read back exactly by python-dotenv and docker compose."""
    # python-dotenv decodes \\ and \' inside single quotes and expands ${...} everywhere;
    # docker compose does neither: refusing those characters keeps both readers exact.
    _refuse_chars("dotenv", name, value, "'\\$")
    return f"{name}='{value}'"


FORMATS: dict[str, Format] = {
    "sh": Format("sh", _sh, lambda name: f"unset {name}"),
    "dotenv": Format("dotenv", dotenv_assign),
}
DOCUMENT_FORMATS = ("json",)
FORMAT_NAMES = (*FORMATS, *DOCUMENT_FORMATS)


def render(fmt: str, variables: Mapping[str, str], details: Mapping[str, Any]) -> str:
    """The text that sets `variables` in format `fmt`; `details` enrich document formats."""
    if fmt == "json":
        return json.dumps({"env": dict(variables), **details}, indent=2) + "\n"
    assign = FORMATS[fmt].assign
    return "".join(assign(name, value) + "\n" for name, value in variables.items())
