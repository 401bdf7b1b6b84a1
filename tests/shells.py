"""Real shells evaluating the tool's output, and reading the variables back byte for byte."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from tests.conftest import require

# How each shell loads a file of assignments, and writes one variable's bytes to a file.
_SOURCE = {
    "bash": ". {script}",
    "dash": ". {script}",
    "zsh": ". {script}",
    "fish": "source {script}",
}
_DUMP = {
    "bash": "printf '%s' \"${name}\" > {out}",
    "dash": "printf '%s' \"${name}\" > {out}",
    "zsh": "printf '%s' \"${name}\" > {out}",
    "fish": "printf '%s' ${name} > {out}",
}
_UNSET_CHECK = {
    "bash": '[ -z "${{{name}+set}}" ] || echo {name} > {out}',
    "dash": '[ -z "${{{name}+set}}" ] || echo {name} > {out}',
    "zsh": '[ -z "${{{name}+set}}" ] || echo {name} > {out}',
    "fish": "set -q {name}; and echo {name} > {out}",
}


def evaluate(shell: str, text: str, names: Iterable[str], folder: Path) -> dict[str, bytes]:
    """Source `text` in a real `shell`; return each variable's bytes as the shell holds them."""
    program = require(shell)
    script = folder / f"exports.{shell}"
    script.write_bytes(text.encode())
    lines = [_SOURCE[shell].format(script=script)]
    for name in names:
        lines.append(_DUMP[shell].format(name=name, out=folder / f"{name}.value"))
    _run(program, lines, folder)
    return {name: (folder / f"{name}.value").read_bytes() for name in names}


def still_set(shell: str, setup: str, unset: str, names: Iterable[str], folder: Path) -> list[str]:
    """Source `setup`, then `unset`, in one real shell; return the names still set."""
    program = require(shell)
    folder = Path(tempfile.mkdtemp(dir=folder))
    (folder / "setup").write_bytes(setup.encode())
    (folder / "unset").write_bytes(unset.encode())
    marker = folder / "still-set"
    lines = [
        _SOURCE[shell].format(script=folder / "setup"),
        _SOURCE[shell].format(script=folder / "unset"),
    ]
    lines += [_UNSET_CHECK[shell].format(name=name, out=f"{marker}.{name}") for name in names]
    _run(program, [*lines, "true"], folder)
    return sorted(path.read_text().strip() for path in folder.glob("still-set.*"))


def _run(program: str, lines: list[str], folder: Path) -> None:
    subprocess.run(
        [program, "-c", "\n".join(lines)], cwd=folder, check=True, timeout=30, capture_output=True
    )
