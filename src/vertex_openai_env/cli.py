"""The command line: the root command (the export), its commands, and the one place where
every failure becomes a message and an exit status."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any

import click

from . import console, help_layout
from .commands import options
from .console import PROG
from .errors import VertexEnvError
from .help_layout import SETTINGS, Context

# The commands: name, and where it lives in commands/. One line each; a command's module is
# imported only when that command runs (or help lists it), so an export loads none of them.
COMMANDS = {
    "exec": "exec_:exec_",
    "hook": "hook:hook",
    "endpoints": "endpoints:endpoints",
    "check": "check:check",
    "completion": "completion:completion",
    "serve": "serve:serve",
}
# Not listed in --help: the words people type for --help and --version.
ALIASES = {"help": "about:help_", "version": "about:version"}


class Cli(click.Group):
    """A click group that loads its commands lazily and reports every failure as one or
    two lines on stderr."""

    context_class = Context

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands first, then the options by purpose."""
        self.format_commands(ctx, formatter)
        help_layout.format_options(self, ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands with their whole summary, never cut short with an ellipsis."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1_000)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """click's, with a "did you mean" for a command name that is nearly right."""
        name = args[0] if args else ""
        if name and name not in COMMANDS and name not in ALIASES and not name.startswith("-"):
            import difflib

            close = difflib.get_close_matches(name, COMMANDS, n=1)
            if close:
                raise click.UsageError(f"no command {name!r}: did you mean {close[0]!r}?", ctx)
        return super().resolve_command(ctx, args)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = COMMANDS.get(cmd_name) or ALIASES.get(cmd_name)
        if where is None:
            return None
        module, name = where.split(":")
        command: click.Command = getattr(
            importlib.import_module(f"{__package__}.commands.{module}"), name
        )
        return command

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        outcome: list[Any] = []

        def parse_and_run() -> None:
            try:
                outcome.append(
                    super(Cli, self).main(
                        args, prog_name or PROG, complete_var, standalone_mode=False, **extra
                    )
                )
            except click.exceptions.Abort:
                raise KeyboardInterrupt from None
            except click.ClickException as exc:
                raise _Usage(exc) from None

        status = console.reported(parse_and_run)
        if status or standalone_mode:
            sys.exit(status or (outcome[0] if outcome and isinstance(outcome[0], int) else 0))
        return outcome[0] if outcome else None


class _Usage(VertexEnvError):
    """click's own errors (an unknown option, a bad choice), said our way: the fix is the
    help of the command that was being parsed."""

    def __init__(self, exc: click.ClickException) -> None:
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else PROG
        super().__init__(exc.format_message(), f"{where} --help")
        self.exit_code = exc.exit_code


# Help is wrapped at 80 columns at most, the width of the pre-rendered page (see launch.py).
@click.group(cls=Cli, invoke_without_command=True, context_settings=SETTINGS)
@options.JOB
@options.OUTPUT
@click.version_option(None, "-V", "--version", package_name="vertex-openai-env", prog_name=PROG)
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
