"""The text of a `.env` file with some variables set or removed: every other byte kept.

python-dotenv does the parsing. A line that is replaced keeps its `export ` prefix, its line
end and its trailing comment; variables not yet in the file are appended.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

from dotenv.parser import parse_stream

from .formats.dotenv import line as dotenv_line

_EXPORT = re.compile(r"export[^\S\r\n]+")
_LINE_END = re.compile(r"(\r\n|\n|\r)?\Z")
_BOM = "\ufeff"
# A binding's value and what follows it, by python-dotenv's own grammar.
_ASSIGNMENT = re.compile(r"[^=]*=[^\S\r\n]*")
_QUOTED = re.compile(r"'(?:\\'|[^'])*'|\"(?:\\\"|[^\"])*\"")
_QUOTED_COMMENT = re.compile(r"[^\S\r\n]*#[^\r\n]*")
_UNQUOTED_COMMENT = re.compile(r"\s+#.*")


def values(text: str) -> dict[str, str]:
    """The variables `text` sets, as written: a `${SECRET}` in a value stays a reference."""
    bindings = parse_stream(io.StringIO(text))
    return {b.key: b.value for b in bindings if b.key is not None and b.value is not None}


def merge(text: str, variables: Mapping[str, str | None]) -> str:
    """`text` with each of `variables` set (or removed, for None); other lines unchanged."""
    bom = _BOM if text.startswith(_BOM) else ""
    newline = _first_line_end(text)
    pending = {name: value for name, value in variables.items() if value is not None}
    out: list[str] = []
    for binding in parse_stream(io.StringIO(text)):
        original = binding.original.string
        key = binding.key
        if binding.error or key is None or key not in variables:
            out.append(original)
            continue
        pending.pop(key, None)
        out.append(_replaced(original, key, variables[key]))
    body = "".join(out)
    if pending:
        if body and not body.endswith(("\n", "\r")):
            body += newline
        body += "".join(dotenv_line(name, value) + newline for name, value in pending.items())
    return bom + body


def _replaced(original: str, name: str, value: str | None) -> str:
    """The binding `original` rewritten: leading blank lines kept, then the new line or none."""
    stripped = original.lstrip()
    leading = original[: len(original) - len(stripped)]
    if value is None:
        return leading
    export = _EXPORT.match(stripped)
    prefix = export.group(0) if export else ""
    match = _LINE_END.search(original)
    end = (match.group(1) if match else None) or ""
    comment = _comment(stripped[: len(stripped) - len(end)])
    if comment and not comment[0].isspace():
        comment = " " + comment  # after a bare value, `#` starts a comment only after a blank
    return f"{leading}{prefix}{dotenv_line(name, value)}{comment}{end}"


def _comment(binding: str) -> str:
    """The trailing comment of `KEY=value  # comment` (with its spacing), or ''."""
    assignment = _ASSIGNMENT.match(binding)
    if assignment is None:
        return ""
    value = binding[assignment.end() :]
    quoted = _QUOTED.match(value)
    if quoted:
        comment = _QUOTED_COMMENT.match(value, quoted.end())
        return comment.group(0) if comment else ""
    comment = _UNQUOTED_COMMENT.search(value)
    return comment.group(0) if comment else ""


def _first_line_end(text: str) -> str:
    match = re.search(r"\r\n|\n|\r", text)
    return match.group(0) if match else "\n"
