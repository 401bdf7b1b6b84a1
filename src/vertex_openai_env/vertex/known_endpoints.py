"""The endpoint IDs `endpoints` last listed, kept so that TAB can offer them after
`--endpoint`. A private file beside the token cache; failing to keep it, or finding it
missing or damaged, only means TAB offers nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from .. import private_file

FILE_NAME = "endpoints.json"
KEPT = 200  # the most recently listed; older ones fall off


def remember(environ: Mapping[str, str], listed: Iterable[tuple[str, str]]) -> None:
    """Keep the (ID, display name) pairs just listed, first, ahead of those kept before."""
    from .. import atomic
    from ..tokens.cache import private_folder

    folder, _ = private_folder(environ)
    if folder is None:
        return
    fresh = [[endpoint_id, name] for endpoint_id, name in listed]
    ids = {endpoint_id for endpoint_id, _ in fresh}
    kept = fresh + [[i, n] for i, n in recall(environ) if i not in ids]
    with contextlib.suppress(OSError):
        atomic.replace(Path(folder, FILE_NAME), json.dumps(kept[:KEPT]).encode())


def recall(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """The (ID, display name) pairs kept, most recent first; none if there is no such file."""
    from ..tokens.cache import default_folder

    try:
        entries = json.loads(
            private_file.read(os.path.join(default_folder(environ), FILE_NAME), 1 << 20)
        )
        return [(str(i), str(n)) for i, n in entries]
    except (OSError, ValueError, TypeError):
        return []
