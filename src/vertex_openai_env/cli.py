"""The command line: parse, call, print. Every failure is reported here, in one place."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from . import __version__
from .errors import FAILURE_EXIT, VertexEnvError
from .exports import API_KEY, MODEL, Names
from .formats import FORMAT_NAMES
from .settings import Flags

F = TypeVar("F", bound=Callable[..., Any])
PROG = "vertex-openai-env"


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
    click.echo(f"{PROG}: error: {_one_line(message)}", err=True)
    if fix:
        click.echo(f"  fix: {_one_line(fix)}", err=True)
    sys.exit(status)


def _one_line(text: str) -> str:
    """Whitespace collapsed and control characters escaped: a message cannot reshape a terminal."""
    flat = " ".join(text.split())
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in flat)


def _emit(text: str) -> None:
    """Write the result to stdout in one piece, as UTF-8 with LF line ends on every platform."""
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def _note(message: str) -> None:
    click.echo(f"{PROG}: note: {message}", err=True)


def settings_options(command: F) -> F:
    """Options that choose the project, location, target and token."""
    options = [
        click.option("--project", metavar="PROJECT_ID", help="Google Cloud project ID."),
        click.option(
            "--location",
            metavar="LOCATION",
            help="global, us, eu or a region such as us-central1 (models default to global).",
        ),
        click.option(
            "--model",
            metavar="MODEL_ID",
            help="A Google-managed or Model Garden model, such as gemini-2.5-flash.",
        ),
        click.option(
            "--endpoint",
            metavar="ENDPOINT_ID",
            help="The ID of a Vertex endpoint serving a model you deployed.",
        ),
        click.option(
            "--api-version",
            type=click.Choice(["v1beta1", "v1"]),
            help="Vertex API version in the URL.  [default: v1beta1]",
        ),
        click.option(
            "--api-endpoint",
            metavar="HOST_OR_URL",
            help="Use this host or URL instead of Google's (Private Service Connect, proxies).",
        ),
        click.option(
            "--token-source",
            type=click.Choice(["google-auth", "gcloud"]),
            help="Where the token comes from.  [default: google-auth]",
        ),
        click.option(
            "--impersonate-service-account",
            "impersonate",
            metavar="SA_EMAIL",
            help="Get a token for this service account (a,b,c: a delegation chain).",
        ),
        click.option(
            "--lifetime",
            metavar="DURATION",
            help="Token lifetime with impersonation: 90m, 12h, 3600 (at most 12h).",
        ),
        click.option(
            "--quota-project",
            metavar="PROJECT_ID",
            help="Project billed for the tool's own API calls (endpoints, check).",
        ),
        click.option(
            "--scopes",
            multiple=True,
            metavar="SCOPES",
            help="OAuth scopes, comma-separated.  [default: cloud-platform]",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0.1),
            default=10.0,
            show_default=True,
            metavar="SECONDS",
            help="Give up on any network request after this long.",
        ),
        click.option(
            "-v", "--verbose", is_flag=True, help="Say on stderr where each setting came from."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group(cls=Cli, invoke_without_command=True, context_settings={"max_content_width": 100})
@settings_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMAT_NAMES),
    help="Output format.  [default: your shell's, detected]",
)
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Update these variables in a .env file instead of printing them.",
)
@click.option(
    "--model-var",
    default=MODEL,
    show_default=True,
    metavar="NAME",
    help="Variable that receives the model ID.",
)
@click.option("--no-model-var", is_flag=True, help="Do not export the model ID.")
@click.option(
    "--unset",
    is_flag=True,
    help="Print the lines that remove the variables again (with --env-file: delete them).",
)
@click.option(
    "--github-output",
    is_flag=True,
    help="With --format github: also set step outputs (all but the token) in $GITHUB_OUTPUT.",
)
@click.option(
    "--openai-api-base",
    is_flag=True,
    help="Also export OPENAI_API_BASE (read by LangChain, LiteLLM, aider).",
)
@click.version_option(__version__, prog_name=PROG)
def main(
    project: str | None,
    location: str | None,
    model: str | None,
    endpoint: str | None,
    api_version: str | None,
    api_endpoint: str | None,
    token_source: str | None,
    impersonate: str | None,
    lifetime: str | None,
    quota_project: str | None,
    scopes: tuple[str, ...],
    timeout: float,
    verbose: bool,
    fmt: str | None,
    env_file: Path | None,
    model_var: str,
    no_model_var: bool,
    unset: bool,
    github_output: bool,
    openai_api_base: bool,
) -> None:
    """Print OPENAI_API_KEY and OPENAI_BASE_URL for Google Vertex AI.

    \b
      eval "$(vertex-openai-env --project my-proj --location us-central1 --model gemini-2.5-flash)"
      vertex-openai-env --project my-proj --location us-central1 --endpoint 1234 --env-file .env
    """
    if env_file is not None and fmt not in (None, "dotenv"):
        raise click.UsageError("--env-file writes the dotenv format; drop --format")
    if github_output and fmt != "github":
        raise click.UsageError("--github-output goes with --format github")
    names = Names(model=None if no_model_var else model_var, api_base=openai_api_base)
    fmt = "dotenv" if env_file else fmt or _detect_format(verbose)
    if unset:
        _unset(fmt, env_file, names)
        return

    from .pipeline import prepare

    flags = Flags(
        project,
        location,
        model,
        endpoint,
        api_version,
        api_endpoint,
        token_source,
        impersonate,
        lifetime,
        quota_project,
        scopes,
        timeout,
    )
    exports = prepare(flags, names, os.environ)
    for note in exports.settings.notes:
        _note(note)
    if verbose:
        for line in exports.describe():
            click.echo(f"{PROG}: {line}", err=True)
    if env_file is not None:
        from . import envfile

        mode = envfile.update(env_file, exports.variables)
        if mode & 0o077:
            _note(f"{env_file} is readable by others (mode {mode:04o}): chmod 600 {env_file}")
        if verbose:
            click.echo(f"{PROG}: wrote {', '.join(exports.variables)} to {env_file}", err=True)
        return
    if fmt == "github":
        from . import github

        _emit(github.export(exports.variables, [API_KEY], os.environ, github_output))
        return
    from .formats import render

    _emit(render(fmt, exports.variables, exports.details()))


def _detect_format(verbose: bool) -> str:
    from .shell_detect import detect

    detected = detect(os.environ)
    if verbose:
        click.echo(f"{PROG}: format: {detected.format} ({detected.reason})", err=True)
    return detected.format


def _unset(fmt: str, env_file: Path | None, names: Names) -> None:
    """Remove every variable the tool sets: from the shell (printed) or from a .env file."""
    if env_file is None:
        from .formats import render_unset

        _emit(render_unset(fmt, names.all()))
        return
    from . import envfile

    envfile.remove(env_file, names.all())


if __name__ == "__main__":  # pragma: no cover
    main()
