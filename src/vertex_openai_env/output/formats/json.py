"""`json`: one object, the variables under "env" beside the expiry and every origin."""

from __future__ import annotations

import json

from .base import Format, Rendering


def _render(output: Rendering) -> str:
    return json.dumps({"env": dict(output.variables), **output.details}, indent=2) + "\n"


FORMAT = Format(_render)
