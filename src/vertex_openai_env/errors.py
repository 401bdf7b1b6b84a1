"""One exception family: each failure knows its exit status and how to fix it; and the
rule for text that goes into a message.

Which helper cleans which text, by where the text comes from:

    shown(value)     a value the user gave (a flag, a variable, a name in a file of theirs):
                     quoted, every non-ASCII or control character escaped, cut at 60
    reason(cause)    text from elsewhere (an exception, a server's answer): one line,
                     anything that looks like a secret masked, cut at 160
    plain(exc)       an exception from google-auth, requests or gcloud
                     (tokens/plain_words.py): the one fact in words, else reason() of
                     its text with the Python reprs cut off
    one_line(text)   what console.say does to every line it writes, whatever it holds:
                     whitespace collapsed, control characters escaped. A last guard for
                     the terminal, not a substitute for the three above.
"""

from __future__ import annotations

import re

USAGE_EXIT = 2
FAILURE_EXIT = 1
# Long runs of token-like characters: a JWT, a refresh token, a key. Never shown.
_SECRET_LIKE = r"[A-Za-z0-9_\-./+=]{24,}"  # noqa: S105 - a pattern, not a secret


class VertexEnvError(Exception):
    """A failure explained to the user in one line, plus the command that fixes it."""

    exit_code = FAILURE_EXIT

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


class InputError(VertexEnvError):
    """A flag, variable or configuration value is malformed or missing."""

    exit_code = USAGE_EXIT


class CredentialsError(VertexEnvError):
    """No usable Google credentials, or Google refused them."""


class TokenSourceError(VertexEnvError):
    """The token source (google-auth, gcloud) failed for another reason."""


class OutputError(VertexEnvError):
    """The result could not be written where it was asked to go."""


class SaidBefore(VertexEnvError):
    """A failure the user was already told of (a shell hook retrying): its exit status,
    and nothing said."""

    def __init__(self, exit_code: int) -> None:
        super().__init__("")
        self.exit_code = exit_code


class CommandError(VertexEnvError):
    """The command given to `exec` cannot be started (127: not found, 126: not runnable)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def shown(value: str, limit: int = 60) -> str:
    """Quote a user-supplied value for a message: one line, bounded, control characters escaped."""
    escaped = value.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    if len(escaped) > limit:
        escaped = escaped[: limit - 1] + "…"
    return f'"{escaped}"'


def one_line(text: str) -> str:
    """Whitespace collapsed and control characters (C0, C1, DEL) escaped: text from a flag or
    a server cannot reshape a terminal."""
    flat = " ".join(text.split())
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in flat)


def reason(cause: object, limit: int = 160) -> str:
    """A foreign message (exception, server text) made safe to show: one line, no secrets."""
    if isinstance(cause, OSError) and cause.strerror:
        text = cause.strerror
    elif isinstance(cause, BaseException) and not str(cause):
        text = type(cause).__name__
    else:
        text = str(cause)
    text = re.sub(_SECRET_LIKE, "…", one_line(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"
