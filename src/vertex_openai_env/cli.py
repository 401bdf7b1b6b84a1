"""The command line: the root command (the export), its commands, and the one place where
every failure becomes a message and an exit status."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from . import console
from .commands import options
from .commands.check import check
from .commands.completion import completion
from .commands.endpoints import endpoints
from .commands.exec_ import exec_
from .commands.hook import hook
from .commands.serve import serve
from .console import PROG
from .errors import FAILURE_EXIT, VertexEnvError


class Cli(click.Group):
    """A click group that reports every failure as one or two lines on stderr."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            status = super().main(
                args, prog_name or PROG, complete_var, standalone_mode=False, **extra
            )
        except VertexEnvError as exc:
            _fail(exc.message, exc.fix, exc.exit_code)
        except click.exceptions.Abort:
            _fail("interrupted", None, 130)
        except click.ClickException as exc:
            _fail(exc.format_message(), f"{PROG} --help", exc.exit_code)
        except Exception as exc:
            if os.environ.get("VERTEX_OPENAI_ENV_DEBUG"):
                raise
            # No traceback and no message text: either could carry a secret.
            _fail(
                f"internal error ({type(exc).__name__}); please report it",
                f"VERTEX_OPENAI_ENV_DEBUG=1 {PROG} ...  # shows the traceback",
                FAILURE_EXIT,
            )
        if not standalone_mode:
            return status
        sys.exit(status if isinstance(status, int) else 0)


def _fail(message: str, fix: str | None, status: int) -> NoReturn:
    console.error(message, fix)
    sys.exit(status)


# Help is wrapped at 80 columns at most, the width of the pre-rendered page (see launch.py).
@click.group(cls=Cli, invoke_without_command=True, context_settings={"max_content_width": 80})
@options.JOB
@options.OUTPUT
@click.version_option(package_name="vertex-openai-env", prog_name=PROG)
@click.pass_context
def main(ctx: click.Context, /, **settings: Any) -> None:
    """Print OPENAI_API_KEY and OPENAI_BASE_URL for Google Vertex AI.

    \b
      eval "$(vertex-openai-env --project my-proj --location us-central1 --model gemini-2.5-flash)"
      vertex-openai-env --location us-central1 --endpoint 1234 --env-file .env
      vertex-openai-env --model gemini-2.5-flash exec -- python app.py
    """
    if ctx.invoked_subcommand is None:
        from .commands import export

        export.run(settings)


main.add_command(exec_)
main.add_command(hook)
main.add_command(endpoints)
main.add_command(check)
main.add_command(completion)
main.add_command(serve)
