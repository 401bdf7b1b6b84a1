"""`exec`: run a command with the variables set."""

from __future__ import annotations

import os
from typing import Any

import click

from .. import job
from ..live import runner
from . import options
from .export import prepared


@click.command("exec", context_settings={"allow_interspersed_args": False})
@options.JOB
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.pass_context
def exec_(ctx: click.Context, /, command: tuple[str, ...], **_: Any) -> None:
    """Run COMMAND with the variables set; its exit status and signals are its own.

    \b
      vertex-openai-env --model gemini-2.5-flash exec -- python app.py
    """
    exports = prepared(job.build(options.merged(ctx), os.environ))
    runner.run(list(command), {**os.environ, **exports.variables})
