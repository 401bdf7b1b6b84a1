"""One renderer per output format (pure: a mapping of variables in, text out).

Every value is quoted for its target; a value a format cannot carry exactly is refused,
never pasted raw. No environment variable can hold a NUL, so every format refuses one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from .errors import InputError

_CONTROL = {chr(code) for code in (*range(0x20), 0x7F)}
# PowerShell closes a single-quoted string on any of these, not only on the ASCII quote.
_PS_QUOTES = "'\u2018\u2019\u201a\u201b"


class Format(NamedTuple):
    """How one shell or file format sets a variable, and removes it where it can."""

    name: str
    assign: Callable[[str, str], str]
    unset: Callable[[str], str] | None = None
    forbidden: frozenset[str] = frozenset("\0")


def _check(fmt: str, forbidden: frozenset[str], name: str, value: str) -> None:
    for char in value:
        if char in forbidden:
            raise InputError(
                f"the {fmt} format cannot carry the value of {name}: "
                f"it contains {char!r}; choose another --format"
            )


def sh_quote(value: str) -> str:
    """POSIX single quotes: nothing inside is special; a quote is closed, escaped, reopened."""
    return "'" + value.replace("'", "'\\''") + "'"


def fish_quote(value: str) -> str:
    """fish single quotes, inside which only \\\\ and \\' are escapes."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _powershell_quote(value: str) -> str:
    # A doubled quote character stands for itself inside a single-quoted string.
    return "'" + "".join(c + c if c in _PS_QUOTES else c for c in value) + "'"


def _gitlab_assign(name: str, value: str) -> str:
    # GitLab strips both ends of the value: refuse what would be lost.
    if value != value.strip(" \t\n\v\f\r\0"):
        raise InputError(
            f"the gitlab format cannot carry the value of {name}: it has spaces at an end"
        )
    return f"{name}={value}"


FORMATS: dict[str, Format] = {
    format.name: format
    for format in (
        Format("sh", lambda n, v: f"export {n}={sh_quote(v)}", lambda n: f"unset {n}"),
        Format("fish", lambda n, v: f"set -gx {n} {fish_quote(v)}", lambda n: f"set -e {n}"),
        Format(
            "powershell",
            lambda n, v: f"$Env:{n} = {_powershell_quote(v)}",
            lambda n: f"Remove-Item Env:{n} -ErrorAction SilentlyContinue",
            # Piped line by line into Invoke-Expression: a value must stay on one line.
            frozenset("\0\n\r"),
        ),
        Format(
            "cmd",
            lambda n, v: f'set "{n}={v}"',
            lambda n: f'set "{n}="',
            # cmd has no quoting: %, ! and " keep their meaning inside set "...".
            frozenset(_CONTROL | set('"%!')),
        ),
        # python-dotenv decodes \\ and \' in single quotes and expands ${...} everywhere;
        # docker compose does neither: refusing those keeps both readers exact.
        Format("dotenv", lambda n, v: f"{n}='{v}'", forbidden=frozenset(_CONTROL | set("'\\$"))),
        # docker --env-file takes the rest of the line literally, quotes included.
        Format("docker", lambda n, v: f"{n}={v}", forbidden=frozenset("\0\n\r")),
        # GitLab's dotenv report keeps quotes literally and expands $VARIABLES.
        Format("gitlab", _gitlab_assign, forbidden=frozenset(_CONTROL | {"$"})),
    )
}
DOCUMENT_FORMATS = ("json", "github")
FORMAT_NAMES = (*FORMATS, *DOCUMENT_FORMATS)


def render(fmt: str, variables: Mapping[str, str], details: Mapping[str, Any]) -> str:
    """The text that sets `variables` in format `fmt`; `details` enrich the JSON document."""
    if fmt == "json":
        return json.dumps({"env": dict(variables), **details}, indent=2) + "\n"
    return "".join(assignment(fmt, name, value) + "\n" for name, value in variables.items())


def assignment(fmt: str, name: str, value: str) -> str:
    """One line of format `fmt` setting `name` to `value`, or InputError if it cannot."""
    spec = FORMATS[fmt]
    _check(fmt, spec.forbidden, name, value)
    return spec.assign(name, value)


def render_unset(fmt: str, names: Iterable[str]) -> str:
    """The text that removes `names` again, for the formats that can."""
    spec = FORMATS.get(fmt)
    if spec is None or spec.unset is None:
        can = ", ".join(name for name, spec in FORMATS.items() if spec.unset)
        raise InputError(f"the {fmt} format cannot unset variables (these can: {can})")
    return "".join(spec.unset(name) + "\n" for name in names)


def github_env_block(name: str, value: str, delimiter: str) -> str:
    """One `$GITHUB_ENV` entry in heredoc form; `delimiter` must not occur in `value`."""
    _check("github", frozenset("\0\r"), name, value)
    if delimiter in value:
        raise ValueError("the heredoc delimiter occurs in the value")
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def github_mask(value: str) -> str:
    """The workflow command that hides `value` in the rest of the job's log."""
    escaped = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::add-mask::{escaped}\n"
