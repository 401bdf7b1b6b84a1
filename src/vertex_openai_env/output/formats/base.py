"""What a format is: a renderer from variables to text, and optionally their removal.

Every value is quoted for its target; a value a format cannot carry exactly is refused,
never pasted raw. No environment variable can hold a NUL, so every format refuses one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from ...errors import InputError

NUL = frozenset("\0")
CONTROL = frozenset(chr(code) for code in (*range(0x20), 0x7F))
_NOTHING: Mapping[str, Any] = MappingProxyType({})


class Rendering(NamedTuple):
    """What a format is given: the variables, and what some formats need besides."""

    variables: Mapping[str, str]
    details: Mapping[str, Any] = _NOTHING  # json: expiry and where each setting came from
    secrets: frozenset[str] = frozenset()  # github: the names whose values are masked
    environ: Mapping[str, str] = _NOTHING  # github: where $GITHUB_ENV is
    step_outputs: bool = False  # github: also set step outputs


class Format(NamedTuple):
    """One `--format`: the text for stdout, and the line that unsets a variable, if it can."""

    render: Callable[[Rendering], str]
    unset: Callable[[str], str] | None = None


def refusing(
    fmt: str, assign: Callable[[str, str], str], forbidden: frozenset[str] = NUL
) -> Callable[[str, str], str]:
    """`assign`, refusing values that hold a character the format cannot carry."""

    def line(name: str, value: str) -> str:
        refuse(fmt, forbidden, name, value)
        return assign(name, value)

    return line


def lines(line: Callable[[str, str], str], unset: Callable[[str], str] | None = None) -> Format:
    """A format of one (refusing) line per variable."""

    def render(output: Rendering) -> str:
        return "".join(line(variable, value) + "\n" for variable, value in output.variables.items())

    return Format(render, unset)


def refuse(fmt: str, forbidden: frozenset[str], name: str, value: str) -> None:
    """InputError if `value` holds a character the format `fmt` cannot carry."""
    for char in value:
        if char in forbidden:
            raise InputError(
                f"the {fmt} format cannot carry the value of {name}: "
                f"it contains {char!r}; choose another --format"
            )
