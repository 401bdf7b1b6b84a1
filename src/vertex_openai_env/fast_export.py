"""The plain export (no command name) parsed without click, whose import alone costs more
than the rest of a cache hit.

`parse` understands only what the root command's options table says, and gives up (None)
on anything else: a command name, --help, --version, an unknown option, a value that click
would convert or refuse. click then parses the same arguments, errors and all. The table
is generated from click's definitions (`make generated`); a test checks `parse` against
click on many argument lists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .root_options import DEFAULTS, OPTIONS

_NUMBER = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9})?")


def parse(argv: Sequence[str]) -> dict[str, Any] | None:
    """The options click would pass to the root command, or None to let click decide."""
    options = dict(DEFAULTS)
    given: set[str] = set()  # a repeatable option given replaces its default
    rest = iter(argv)
    for arg in rest:
        name, equals, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        found = OPTIONS.get(name)
        if found is None:
            return None
        dest, kind, low, choices = found
        if kind in ("flag", "unflag"):
            if equals:
                return None
            options[dest] = kind == "flag"
            continue
        value = inline if equals else next(rest, None)
        if value is None or kind == "other":
            return None
        if kind == "choice" and value not in choices:
            return None
        if kind == "float":
            if not _NUMBER.fullmatch(value) or float(value) < low:
                return None
            options[dest] = float(value)
        elif kind == "multiple":
            options[dest] = (*(options[dest] if dest in given else ()), value)
            given.add(dest)
        else:
            options[dest] = value
    return options
