"""How this copy of the tool was installed, for a fix line that adds a package to it.

pipx keeps each tool in its own venv (`…/pipx/venvs/NAME`) and adds packages with
`pipx inject`; anywhere else (a venv, a clone's `.venv`, a user install) the Python that
runs the tool installs with its own pip.
"""

from __future__ import annotations

import os
import shlex
import sys

from .console import PROG


def how_to_add(package: str, prefix: str | None = None, python: str | None = None) -> str:
    """The command that makes `package` importable by this copy of the tool."""
    prefix = sys.prefix if prefix is None else prefix
    parts = os.path.normpath(prefix).split(os.sep)
    if len(parts) >= 3 and parts[-2] == "venvs" and "pipx" in parts[-3]:
        return f"pipx inject {parts[-1]} {package}"
    python = sys.executable if python is None else python
    return f"{shlex.quote(python)} -m pip install {package}  # the Python that runs {PROG}"
