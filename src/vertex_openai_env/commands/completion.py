"""`completion`: the TAB-completion script for a shell."""

from __future__ import annotations

import click

from .. import console
from ..console import PROG
from ..live.hook import SHELLS
from .help import Command


@click.command(cls=Command)
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion(ctx: click.Context, /, shell: str) -> None:
    """Print the TAB-completion script for a shell (the same as the files in completions/).

    \b
      vertex-openai-env completion fish > ~/.config/fish/completions/vertex-openai-env.fish
    """
    console.emit(script(ctx.find_root().command, shell))


def script(command: click.Command, shell: str) -> str:
    """click's completion script for `shell`, as the environment variable protocol prints it."""
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell)
    if completer is None:  # pragma: no cover - SHELLS are all click's
        raise click.UsageError(f"no completion for {shell}")
    source = completer(command, {}, PROG, "_VERTEX_OPENAI_ENV_COMPLETE").source()
    return source if source.endswith("\n") else source + "\n"
