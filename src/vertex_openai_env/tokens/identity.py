"""Who a token source would answer for: the cache key's credentials part.

Only the standard library and the light readers: the cache computes this on every hit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from ..deadline import Deadline
from . import credentials_file, metadata
from .credentials_file import CredentialsFile


def application_default(
    environ: Mapping[str, str], deadline: Deadline, file: CredentialsFile | None
) -> tuple[dict[str, str] | None, CredentialsFile | None]:
    """The Application Default Credentials, found as google-auth finds them (and gcloud's
    `auth application-default`, which uses google-auth's search); and the credentials file
    when there is one.

    A file is named by a digest of what it holds (a new login is a new identity, and
    `<(cat key.json)` the same one every time); the metadata server by its service account.
    None: nothing to key by.
    """
    if file is None:
        located = credentials_file.locate(environ)
        if located is None:
            account = metadata.account(environ, deadline)
            return ({"metadata_server": account} if account else None), None
        file = credentials_file.read(*located, deadline)
    return {"file_sha256": hashlib.sha256(file.content).hexdigest()}, file
