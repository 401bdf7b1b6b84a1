"""Exceptions from google-auth, requests and gcloud said in plain words: never a Python repr.

google-auth raises with tuples of text and exceptions (`('Failed to load ...', ValueError(...))`);
requests wraps the socket error three levels deep in reprs. Users need the one fact that
matters: "connection refused", "the private key cannot be read".
"""

from __future__ import annotations

import re

from ..errors import reason

# What the network said, in words; `plain` gives one of these for a network failure.
NETWORK = frozenset(
    {
        "connection refused",
        "the host name does not resolve",
        "timed out",
        "a TLS (certificate) problem",
        "the network is unreachable",
        "the connection was reset",
    }
)
# Phrases in foreign text, and what they mean to the user, most specific first.
_KNOWN = (
    (r"connection refused", "connection refused"),
    (r"name or service not known|nodename nor servname|getaddrinfo failed|name resolution",
     "the host name does not resolve"),
    (r"timed? ?out", "timed out"),
    (r"certificate verify failed|\bssl\b", "a TLS (certificate) problem"),
    (r"could not deserialize key data|no key could be detected|private key|pem file",
     "the private key cannot be read"),
    (r"network is unreachable", "the network is unreachable"),
    (r"connection reset", "the connection was reset"),
)  # fmt: skip
# What a Python repr looks like inside a message: never shown.
REPR = re.compile(
    r"<[\w.]+ object at 0x[0-9a-f]+>|\b[A-Z]\w*(?:Error|Exception|Pool|Warning)\(|\(\s*'|\[Errno"
    r"|\b[A-Z][a-z]+[A-Z]\w*\("
)


def plain(cause: BaseException | str) -> str:
    """What went wrong, in words: a known phrase, or the text with its reprs removed."""
    text = _flatten(cause)
    lowered = text.lower()
    for pattern, meaning in _KNOWN:
        if re.search(pattern, lowered):
            return meaning
    if REPR.search(text):
        head = REPR.split(text, maxsplit=1)[0].strip(" :,(")
        return reason(head) if head else "an unexpected reply"
    return reason(text)


def _flatten(cause: BaseException | str, depth: int = 0) -> str:
    """The text of an exception, its arguments and its causes, reprs of arguments unfolded."""
    if isinstance(cause, str) or depth > 5:
        return str(cause)
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    parts = [
        _flatten(arg, depth + 1) if isinstance(arg, BaseException) else str(arg)
        for arg in cause.args
        if isinstance(arg, (str, BaseException))
    ]
    inner = cause.__cause__ or cause.__context__
    if inner is not None and inner is not cause:
        parts.append(_flatten(inner, depth + 1))
    return ": ".join(part for part in parts if part) or type(cause).__name__
