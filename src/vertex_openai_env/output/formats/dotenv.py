"""`dotenv`: `NAME=value` lines that python-dotenv, npm dotenv, `node --env-file`, docker,
docker compose and direnv all read as the same value.

A value of plain characters (a token, a URL, a model ID) is written bare, which every
reader takes as it is, docker's `--env-file` included. Anything else is single-quoted, and
refused if it holds what some reader would change inside single quotes (python-dotenv
decodes \\\\ and \\'; npm dotenv ends the quotes at a '; compose and direnv expand $).
"""

from __future__ import annotations

import re

from .base import CONTROL, lines, refusing

FORBIDDEN_QUOTED = CONTROL | frozenset("'\\$")
_BARE = re.compile(r"[A-Za-z0-9_./:@+,=~%-]*")


def _assign(name: str, value: str) -> str:
    return f"{name}={value}" if _BARE.fullmatch(value) else f"{name}='{value}'"


line = refusing("dotenv", _assign, FORBIDDEN_QUOTED)
FORMAT = lines(line)
