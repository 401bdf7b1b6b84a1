"""`help [COMMAND]` and `version`: the words people type, for `--help` and `--version`."""

from __future__ import annotations

import click

from .. import console
from ..errors import InputError, shown
from ..help_layout import Command


@click.command(cls=Command, hidden=True)
@click.argument("command", required=False)
@click.pass_context
def help_(ctx: click.Context, /, command: str | None) -> None:
    """Show the help of the tool, or of COMMAND: the same as --help."""
    root = ctx.find_root()
    if command is None:
        console.emit(root.get_help() + "\n")
        return
    group = root.command
    assert isinstance(group, click.Group)
    target = group.get_command(root, command)
    if target is None:
        raise InputError(f"no command {shown(command)}", f"{console.PROG} --help")
    with target.make_context(command, ["--help"], parent=root, resilient_parsing=True) as sub:
        console.emit(target.get_help(sub) + "\n")


@click.command(cls=Command, hidden=True)
@click.pass_context
def version(ctx: click.Context, /) -> None:
    """Show the version: the same as --version."""
    from importlib.metadata import version as installed

    console.emit(f"{console.PROG}, version {installed('vertex-openai-env')}\n")
