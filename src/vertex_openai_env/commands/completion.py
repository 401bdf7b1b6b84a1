"""`completion`: the TAB-completion script for a shell, named or detected."""

from __future__ import annotations

import os
from collections.abc import Mapping

import click

from .. import console
from ..console import PROG
from ..errors import InputError
from ..help_layout import Command
from ..live.hook import SHELLS
from ..output.shell_detect import process_name


@click.command(cls=Command)
@click.argument("shell", type=click.Choice(SHELLS), required=False)
@click.pass_context
def completion(ctx: click.Context, /, shell: str | None) -> None:
    """Print the TAB-completion script for your shell, or SHELL (the same as the files in
    completions/).

    \b
      vertex-openai-env completion fish > ~/.config/fish/completions/vertex-openai-env.fish
    """
    console.emit(script(ctx.find_root().command, shell or detected(os.environ)))


def detected(environ: Mapping[str, str], parent: int | None = None) -> str:
    """The shell that runs us (the parent process), else the login shell ($SHELL)."""
    for program in (process_name(os.getppid() if parent is None else parent), environ.get("SHELL")):
        name = os.path.basename(program or "").lstrip("-").lower()
        if name in SHELLS:
            return name
    raise InputError(
        f"cannot tell which shell to complete for: name it ({', '.join(SHELLS)})",
        fix=f"{PROG} completion bash",
    )


def script(command: click.Command, shell: str) -> str:
    """click's completion script for `shell`, as the environment variable protocol prints it."""
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell)
    if completer is None:  # pragma: no cover - SHELLS are all click's
        raise click.UsageError(f"no completion for {shell}")
    source = completer(command, {}, PROG, "_VERTEX_OPENAI_ENV_COMPLETE").source()
    return source if source.endswith("\n") else source + "\n"
