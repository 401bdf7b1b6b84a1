"""`serve`, and `exec --serve`: a local gateway whose key never expires.

aiohttp, and asyncio with it, are imported only once a gateway is really started, so that
the exporter's own start-up (`--help`, a cache hit) does not pay for them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import console, job
from ..deadline import Deadline
from ..errors import VertexEnvError
from ..gateway import models
from ..gateway.address import LOOPBACK, READ_TIMEOUT
from ..help_layout import Command
from . import options
from .export import detect_format, prepared, render, write_variables

if TYPE_CHECKING:
    from ..gateway.server import Gateway, Settings


@click.command(cls=Command)
@options.JOB
@options.group(options.fmt, options.env_file)
@options.port
@click.option(
    "--bind",
    default=LOOPBACK,
    show_default=True,
    metavar="ADDRESS",
    help="Address to listen on; any but loopback lets others reach the gateway.",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Keep the local key in this file (made 0600 if missing) and reuse it.",
)
@click.option(
    "--upstream-timeout",
    type=click.FloatRange(min=0.1),
    default=READ_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="Answer 504 when Vertex AI sends nothing for this long.",
)
@options.alias
@click.pass_context
def serve(
    ctx: click.Context,
    /,
    port: int,
    bind: str,
    key_file: Path | None,
    upstream_timeout: float,
    alias: tuple[str, ...],
    **_: Any,
) -> None:
    """Run a local OpenAI-compatible gateway to Vertex AI whose key never expires.

    Prints OPENAI_BASE_URL (http://127.0.0.1:PORT/v1) and a local OPENAI_API_KEY once
    it listens, then forwards each request with a fresh Google token until stopped.

    \b
      vertex-openai-env serve --model gemini-2.5-flash --env-file gateway.env
      vertex-openai-env --model gemini-2.5-flash exec --serve -- aider
    """
    merged = options.merged(ctx)
    the_job = job.build(merged, os.environ)
    out = job.output(merged)
    from ..gateway import address

    listen = address.checked_bind(bind)
    aliases = models.aliases(alias)
    _require_aiohttp()
    from ..gateway import key, server

    local_key = key.from_file(key_file) if key_file else key.new_key()
    if out.env_file is not None:
        key.check_receiver(out.env_file)  # before listening: a refusal costs nothing yet
    settings = server.Settings(local_key, listen, port, upstream_timeout, aliases=aliases)
    gateway = _gateway(the_job, settings)
    fmt = out.format or detect_format(the_job.verbose)  # dotenv with --env-file
    import asyncio

    asyncio.run(server.serve(gateway, _announcer(gateway, fmt, out.env_file)))
    console.say(gateway.tally.summary())


def through_gateway(the_job: job.Job, command: list[str], alias: tuple[str, ...], port: int) -> int:
    """`exec --serve`: run `command` against a gateway; its exit status (see `exit_like`).

    Each request is said on stderr only with --verbose: the command may own the terminal.
    """
    aliases = models.aliases(alias)
    _require_aiohttp()
    from ..gateway import child, key, server

    settings = server.Settings(
        key.new_key(), port=port, log_requests=the_job.verbose, aliases=aliases
    )
    gateway = _gateway(the_job, settings)
    import asyncio

    status = asyncio.run(child.run_child(gateway, command, os.environ))
    if the_job.verbose:
        console.say(gateway.tally.summary())
    return child.exit_like(status)


def _gateway(the_job: job.Job, settings: Settings) -> Gateway:
    from ..gateway.server import Gateway

    return Gateway(prepared(the_job), settings, os.environ, console.say)


def _announcer(
    gateway: Gateway, fmt: str, env_file: Path | None
) -> Callable[[dict[str, str]], None]:
    """What tells clients where the gateway is, once it listens: stdout, or a `.env` file."""

    from ..gateway import address

    def announce(variables: dict[str, str]) -> None:
        upstream = gateway.exports.destination.base_url
        console.say(f"listening on {gateway.base_url} for {upstream}; Ctrl-C or SIGTERM stops it")
        kept = gateway.responses.store.describe()
        console.say(f"Responses API: {kept} are kept in memory, and lost when it stops")
        if address.exposed(gateway.settings.bind):
            console.say(
                f"warning: listening on {gateway.settings.bind}, not on loopback: whoever can "
                "reach it and holds the key uses your Google credentials"
            )
        if env_file is not None:
            from ..gateway.key import check_receiver

            check_receiver(env_file)  # again: it may have changed since the start
            write_variables(env_file, variables, Deadline(gateway.exports.job.timeout))
            console.say(f"wrote {', '.join(variables)} to {env_file}")
            return
        details = {"gateway": {"pid": os.getpid(), "upstream": upstream}}
        console.emit(render(fmt, variables, details))

    return announce


def _require_aiohttp() -> None:
    """VertexEnvError saying what to install where this tool is installed, unless aiohttp
    can be imported."""
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        from ..installed import how_to_add

        raise VertexEnvError(
            "the gateway needs aiohttp, an optional extra", fix=how_to_add("aiohttp")
        ) from None
