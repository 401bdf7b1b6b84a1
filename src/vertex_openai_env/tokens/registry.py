"""The token sources, by the name `--token-source` takes: one line each.

A source is two things:

- `module`: a module in this package with `mint(request, environ, deadline, file) ->
  Minted` (`file`: the credentials file when the cache has read it already). It is
  imported only when a token is really fetched, so a cache hit never loads google-auth.
- `identity`: what names the credentials the source would answer for, `(identity, file)`
  (see identity.py). The token cache keys its entries by it, so it must change whenever
  the source would answer for someone else: a source that reads other credentials than
  the Application Default ones needs its own, or the cache would hand it another
  account's token. None: the source cannot tell, and its tokens are not cached. It runs
  on every cache hit: the standard library and the light readers only.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, NamedTuple

from . import identity
from .types import DEFAULT_SOURCE, Minted, TokenRequest

if TYPE_CHECKING:
    from ..deadline import Deadline
    from .credentials_file import CredentialsFile

Identity = Callable[
    ["Mapping[str, str]", "Deadline", "CredentialsFile | None"],
    "tuple[dict[str, str] | None, CredentialsFile | None]",
]


class Source(NamedTuple):
    module: str
    identity: Identity


SOURCES = {
    # google-auth: Application Default Credentials, in-process
    DEFAULT_SOURCE: Source("adc", identity.application_default),
    # `gcloud auth application-default print-access-token`: the same credentials, found
    # by the same search
    "gcloud": Source("gcloud", identity.application_default),
}
DEFAULT = DEFAULT_SOURCE


def fetch(
    request: TokenRequest,
    environ: Mapping[str, str],
    deadline: Deadline,
    file: CredentialsFile | None = None,
) -> Minted:
    """Get a fresh token from the source `request` names."""
    module = importlib.import_module(f"{__package__}.{SOURCES[request.source].module}")
    minted: Minted = module.mint(request, environ, deadline, file)
    return minted
