"""How the commands explain themselves: help whose lines never break a word at a hyphen,
`-h` everywhere, and fish completion descriptions kept whole."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable

import click
from click.shell_completion import FishComplete, add_completion_class

WIDTH = 80  # the width of the pre-rendered --help page (launch.py)
SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": WIDTH}


_KEPT_WHOLE = re.compile(r"\[[^\]]*\]")  # `[default: google-auth]` stays on one line
_GLUE = "\xa0"  # not a place textwrap breaks a line


class Formatter(click.HelpFormatter):
    """click's help layout, but a value such as `google-auth` or `us-central1` is never
    split across two lines at its hyphen, nor a `[default: ...]` at its space."""

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = list(rows)
        first = min(max((len(term) for term, _ in rows), default=0), col_max) + col_spacing
        indent = " " * self.current_indent
        width = max(self.width - first - self.current_indent, 10)
        for term, text in rows:
            glued = _KEPT_WHOLE.sub(lambda kept: kept.group(0).replace(" ", _GLUE), text)
            wrapped = textwrap.wrap(glued, width, break_on_hyphens=False, break_long_words=False)
            lines = [line.replace(_GLUE, " ") for line in wrapped]
            if not lines:
                self.write(f"{indent}{term}\n")
                continue
            if len(term) <= first - col_spacing:
                self.write(f"{indent}{term.ljust(first)}{lines.pop(0)}\n")
            else:
                self.write(f"{indent}{term}\n")
            self.write("".join(f"{indent}{' ' * first}{line}\n" for line in lines))


class Context(click.Context):
    formatter_class = Formatter


class Command(click.Command):
    """Every command's class: our help layout."""

    context_class = Context


class _Fish(FishComplete):
    # click's script splits each completion at every comma, cutting a description short
    # ("global, us, eu or ..."): split once, between the kind and the rest.
    source_template = FishComplete.source_template.replace(
        'string split "," $completion', 'string split -m 1 "," $completion'
    )


add_completion_class(_Fish)
