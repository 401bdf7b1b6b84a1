"""`hook`: the rc-file snippet that keeps a shell's variables fresh, and its refresh."""

from __future__ import annotations

import os
from typing import Any

import click

from .. import console, job
from ..errors import SaidBefore, VertexEnvError
from ..help_layout import Command
from ..live.hook import FORMAT_OF_SHELL, SHELLS, deadline_line, digest, failure_line, snippet
from . import options
from .export import prepared, render


@click.command(cls=Command)
@click.argument("shell", type=click.Choice(SHELLS))
@options.JOB
@click.option(
    "--refresh",
    is_flag=True,
    help="Print the variables and when to refresh next (what the snippet runs).",
)
@click.option("--said", default="", hidden=True, help="The failure the shell last showed.")
@click.pass_context
def hook(ctx: click.Context, /, shell: str, refresh: bool, said: str, **_: Any) -> None:
    """Print a snippet for your shell's rc file that refreshes the variables before a
    prompt or a command once the token nears expiry (and starts no process while it is
    fresh).

    \b
      eval "$(vertex-openai-env hook bash --model gemini-2.5-flash)"    # ~/.bashrc
      vertex-openai-env hook fish --model gemini-2.5-flash | source     # config.fish
    """
    if not refresh:
        # The same job an export would run, checked now rather than at every prompt.
        job.build(options.merged(ctx), os.environ)
        console.emit(snippet(shell, options.given_args(ctx)))
        return
    try:
        # Built again: the environment may have changed since the rc file ran.
        exports = prepared(job.build(options.merged(ctx), os.environ))
    except VertexEnvError as exc:
        # A shell with no credentials would otherwise repeat this at a prompt every minute.
        words = f"{exc.message}\n{exc.fix}"
        console.emit(failure_line(shell, words))
        if digest(words) == said:
            raise SaidBefore(exc.exit_code) from None
        raise
    text = render(FORMAT_OF_SHELL[shell], exports.variables, exports.details())
    console.emit(text + deadline_line(shell, exports.seconds_until_stale()))
