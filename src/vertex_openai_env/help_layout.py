"""How every command lays out its help (this is no command itself): lines that never break a
word at a hyphen, options grouped by purpose, `-h` everywhere, and fish completion
descriptions kept whole."""

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


# Last on every page, whatever the command: how the tool talks about itself.
_LAST = ("verbose", "version")


def format_options(
    command: click.Command, ctx: click.Context, formatter: click.HelpFormatter
) -> None:
    """The options by purpose: the command's own first, then the shared ones in the
    sections of `options.SECTIONS`, then -v, --version and --help."""
    from .commands.options import SECTIONS

    records = {
        param.name: record
        for param in command.get_params(ctx)
        for record in [param.get_help_record(ctx)]
        if record is not None and param.name is not None
    }
    help_name = command.get_help_option(ctx)
    last = (*_LAST, help_name.name if help_name is not None else "")
    shared = {name for _, names in SECTIONS for name in names}
    own = [name for name in records if name not in shared and name not in last]
    sections = [(f"Options of {ctx.info_name}", own), *SECTIONS, ("Other options", last)]
    for title, names in sections:
        rows = [records[name] for name in names if name in records]
        if rows:
            with formatter.section(title):
                formatter.write_dl(rows)


class Command(click.Command):
    """Every command's class: our help layout, and the same rule for options given before
    the command's name."""

    context_class = Context

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        format_options(self, ctx, formatter)

    def invoke(self, ctx: click.Context) -> object:
        from .commands.options import refuse_strays

        refuse_strays(ctx)
        return super().invoke(ctx)


class _Fish(FishComplete):
    # click's script splits each completion at every comma, cutting a description short
    # ("global, us, eu or ..."): split once, between the kind and the rest.
    source_template = FishComplete.source_template.replace(
        'string split "," $completion', 'string split -m 1 "," $completion'
    )


add_completion_class(_Fish)
