"""Output formats, one module each, named as `--format` takes them.

To add one: write `NAME.py` here holding `FORMAT = Format(...)` (see `base`), then add
NAME to `NAMES`. A format's module is imported only when it is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from ...errors import InputError
from .base import Format

NAMES = ("sh", "fish", "powershell", "cmd", "dotenv", "docker", "gitlab", "json", "github")


def get(name: str) -> Format:
    """The format called `name` (one of NAMES)."""
    fmt: Format = importlib.import_module(f"{__name__}.{name}").FORMAT
    return fmt


def render_unset(name: str, names: Iterable[str]) -> str:
    """The text that removes `names` again, for the formats that can."""
    unset = get(name).unset
    if unset is None:
        can = ", ".join(other for other in NAMES if get(other).unset)
        raise InputError(f"the {name} format cannot unset variables (these can: {can})")
    return "".join(unset(variable) + "\n" for variable in names)
