"""The token sources, by the name `--token-source` takes: one line each.

A source is a module in this package with `mint(request, environ, deadline, file) ->
Minted` (`file`: the credentials file when the cache has read it already). It is imported
only when a token is really fetched, so a cache hit never loads google-auth.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .types import Minted, TokenRequest

if TYPE_CHECKING:
    from ..deadline import Deadline
    from .credentials_file import CredentialsFile

SOURCES = {
    "google-auth": "adc",  # Application Default Credentials, in-process
    "gcloud": "gcloud",  # `gcloud auth application-default print-access-token`
}
DEFAULT = "google-auth"


def fetch(
    request: TokenRequest,
    environ: Mapping[str, str],
    deadline: Deadline,
    file: CredentialsFile | None = None,
) -> Minted:
    """Get a fresh token from the source `request` names."""
    module = importlib.import_module(f"{__package__}.{SOURCES[request.source]}")
    minted: Minted = module.mint(request, environ, deadline, file)
    return minted
