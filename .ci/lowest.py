"""Print pip constraints pinning every direct dependency to its lowest allowed version.

The direct dependencies are pyproject.toml's `dependencies` and its published extras; each
must name a lower bound (`>=`), or this fails: a dependency with none has no lowest version
to test against. Used by `.ci/suite lowest` (`pip install -c FILE`).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomllib

_LOWER = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*>=\s*([^,;\s]+)")


def constraints(pyproject: Path) -> list[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"]]
    for extra in project.get("optional-dependencies", {}).values():
        wanted += extra
    lines = []
    for requirement in wanted:
        match = _LOWER.match(requirement)
        if not match:
            raise SystemExit(f"{requirement!r} names no lower bound (>=)")
        lines.append(f"{match[1]}=={match[2]}")
    return sorted(set(lines))


if __name__ == "__main__":
    sys.stdout.write("\n".join(constraints(Path(__file__).parents[1] / "pyproject.toml")) + "\n")
