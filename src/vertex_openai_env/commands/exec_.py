"""`exec`: run a command with the variables set."""

from __future__ import annotations

import os
from typing import Any

import click

from .. import job
from ..help_layout import Command
from ..live import runner
from . import options
from .export import prepared


@click.command("exec", cls=Command, context_settings={"allow_interspersed_args": False})
@options.JOB
@click.option(
    "--serve",
    "through_gateway",
    is_flag=True,
    help="Give COMMAND a local gateway (see `serve`) for its lifetime, never the Google token.",
)
@options.port
@options.alias
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.pass_context
def exec_(
    ctx: click.Context,
    /,
    command: tuple[str, ...],
    through_gateway: bool,
    port: int,
    alias: tuple[str, ...],
    **_: Any,
) -> None:
    """Run COMMAND with the variables set; its exit status and signals are its own.

    \b
      vertex-openai-env --model gemini-2.5-flash exec -- python app.py
      vertex-openai-env --model gemini-2.5-flash exec --serve -- aider
    """
    if not through_gateway:
        for name, value in (("--alias", alias), ("--port", port)):
            if value:
                raise click.UsageError(f"{name} is for the gateway: it needs --serve", ctx)
    the_job = job.build(options.merged(ctx), os.environ)
    if through_gateway:
        from .serve import through_gateway as run

        ctx.exit(run(the_job, list(command), alias, port))
    exports = prepared(the_job)
    runner.run(list(command), runner.child_environment(os.environ, exports.variables))
