"""The command line: parse, call, print. Every failure is reported here, in one place."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
from click.core import ParameterSource

from . import __version__, console
from .console import PROG
from .errors import FAILURE_EXIT, VertexEnvError
from .exports import API_KEY, MODEL, Names
from .formats import FORMAT_NAMES
from .settings import Flags

if TYPE_CHECKING:
    from .pipeline import Exports, Job

F = TypeVar("F", bound=Callable[..., Any])


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


def _options(*options: Callable[[F], F]) -> Callable[[F], F]:
    def apply(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


settings_options = _options(
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
        help="Give up on any network request, or on gcloud, after this long.",
    ),
    click.option(
        "--min-valid",
        default="5m",
        show_default=True,
        metavar="DURATION",
        help="Reuse a cached token only while it stays valid this long.",
    ),
    click.option("--no-cache", is_flag=True, help="Neither read nor write the token cache."),
    click.option(
        "--dedicated",
        is_flag=True,
        help="With --endpoint: use the endpoint's own DNS name (dedicated endpoints).",
    ),
    click.option(
        "-v", "--verbose", is_flag=True, help="Say on stderr where each setting came from."
    ),
)

naming_options = _options(
    click.option(
        "--model-var",
        default=MODEL,
        show_default=True,
        metavar="NAME",
        help="Variable that receives the model ID.",
    ),
    click.option("--no-model-var", is_flag=True, help="Do not export the model ID."),
    click.option(
        "--openai-api-base",
        is_flag=True,
        help="Also export OPENAI_API_BASE (read by LangChain, LiteLLM, aider).",
    ),
)

_EXPORT_ONLY = ("fmt", "env_file", "watch", "unset", "github_output", "hook_deadline")


# Help is wrapped at 80 columns at most, the width of the pre-rendered page (see launch.py).
@click.group(cls=Cli, invoke_without_command=True, context_settings={"max_content_width": 80})
@settings_options
@naming_options
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
    "--watch",
    is_flag=True,
    help="With --env-file: keep running and rewrite the file before each expiry.",
)
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
@click.option("--hook-deadline", is_flag=True, hidden=True)
@click.version_option(__version__, prog_name=PROG)
@click.pass_context
def main(ctx: click.Context, /, **options: Any) -> None:
    """Print OPENAI_API_KEY and OPENAI_BASE_URL for Google Vertex AI.

    \b
      eval "$(vertex-openai-env --project my-proj --location us-central1 --model gemini-2.5-flash)"
      vertex-openai-env --location us-central1 --endpoint 1234 --env-file .env
      vertex-openai-env --model gemini-2.5-flash exec -- python app.py
    """
    if ctx.invoked_subcommand is not None:
        given = [name for name in _EXPORT_ONLY if _given(ctx, name)]
        if given:
            option = "--format" if given[0] == "fmt" else "--" + given[0].replace("_", "-")
            raise click.UsageError(f"{option} applies to printing the variables, not to commands")
        return
    _export(ctx, options)


def _export(ctx: click.Context, options: dict[str, Any]) -> None:
    env_file: Path | None = options["env_file"]
    fmt: str | None = options["fmt"]
    if env_file is not None and fmt not in (None, "dotenv"):
        raise click.UsageError("--env-file writes the dotenv format; drop --format")
    if options["github_output"] and fmt != "github":
        raise click.UsageError("--github-output goes with --format github")
    if options["watch"] and env_file is None:
        raise click.UsageError("--watch keeps a file fresh: give --env-file PATH")
    fmt = "dotenv" if env_file else fmt or _detect_format(options["verbose"])
    names = _names(options)
    if options["unset"]:
        _unset(fmt, env_file, names)
        return
    job = _job(ctx)
    if env_file is not None:
        if options["watch"]:
            from .watch import watch

            watch(
                lambda: _write_env_file(job, env_file, options).minted, job.min_valid, console.say
            )
        else:
            _write_env_file(job, env_file, options)
        return
    exports = _prepare(job, options)
    if fmt == "github":
        from . import github

        console.emit(
            github.export(exports.variables, [API_KEY], os.environ, options["github_output"])
        )
        return
    from .formats import render

    text = render(fmt, exports.variables, exports.details())
    if options["hook_deadline"]:
        from .hook import deadline_line

        text += deadline_line(fmt, exports.seconds_until_stale(job.min_valid))
    console.emit(text)


@main.command("exec", context_settings={"allow_interspersed_args": False})
@settings_options
@naming_options
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.pass_context
def exec_(ctx: click.Context, /, command: tuple[str, ...], **_: Any) -> None:
    """Run COMMAND with the variables set; its exit status and signals are its own.

    \b
      vertex-openai-env --model gemini-2.5-flash exec -- python app.py
    """
    from . import runner

    exports = _prepare(_job(ctx), _merged(ctx))
    runner.run(list(command), {**os.environ, **exports.variables})


@main.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@settings_options
@naming_options
@click.pass_context
def hook(ctx: click.Context, /, shell: str, **_: Any) -> None:
    """Print a snippet for your shell's rc file that refreshes the variables before a
    prompt once the token nears expiry (and starts no process while it is fresh).

    \b
      eval "$(vertex-openai-env hook bash --model gemini-2.5-flash)"    # ~/.bashrc
      vertex-openai-env hook fish --model gemini-2.5-flash | source     # config.fish
    """
    from .hook import snippet
    from .settings import resolve

    resolve(_flags(_merged(ctx)), os.environ)  # bad settings are reported now, not at every prompt
    console.emit(snippet(shell, _given_args(ctx)))


@main.command()
@settings_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A table for people, or JSON for scripts.",
)
@click.pass_context
def endpoints(ctx: click.Context, /, fmt: str, **_: Any) -> None:
    """List a region's Vertex endpoints: ID, display name, deployed models, dedicated DNS.

    \b
      vertex-openai-env endpoints --project my-proj --location us-central1
    """
    from . import endpoints as listing

    found = listing.listing(_prepare(_job(ctx, target_required=False), _merged(ctx)))
    if not found and fmt == "table":
        console.note("no endpoints in this project and region")
        return
    console.emit(listing.table(found) if fmt == "table" else listing.as_json(found))


@main.command()
@settings_options
@click.option(
    "--probe", is_flag=True, help="Also send one tiny chat request and explain a failure."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Lines on stderr for people, or a JSON document on stdout.",
)
@click.pass_context
def check(ctx: click.Context, /, probe: bool, fmt: str, **_: Any) -> None:
    """Resolve everything, get a fresh token, and say what was found; exit 0 only if all is well.

    \b
      vertex-openai-env check --model gemini-2.5-flash --probe
    """
    from .check import check as run_check

    options = {**_merged(ctx), "verbose": False}  # the report says it all, once
    report = run_check(_prepare(_job(ctx, use_cache=False), options), probe, options["timeout"])
    if fmt == "json":
        import json

        console.emit(json.dumps(report.document, indent=2) + "\n")
    else:
        for line in report.lines:
            console.say(line)
    if report.problem:
        raise report.problem
    if fmt == "text":
        console.say("all good")


@main.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the TAB-completion script for a shell (the same as the files in completions/).

    \b
      vertex-openai-env completion fish > ~/.config/fish/completions/vertex-openai-env.fish
    """
    console.emit(completion_script(shell))


def completion_script(shell: str) -> str:
    """click's completion script for `shell`, as the environment variable protocol prints it."""
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell)
    assert completer is not None
    source = completer(main, {}, PROG, "_VERTEX_OPENAI_ENV_COMPLETE").source()
    return source if source.endswith("\n") else source + "\n"


def _given(ctx: click.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source is not ParameterSource.DEFAULT


def _merged(ctx: click.Context) -> dict[str, Any]:
    """The shared options of the group and of the command; the command's own win."""
    merged = dict(ctx.find_root().params)
    merged.update({name: value for name, value in ctx.params.items() if _given(ctx, name)})
    return merged


def _given_args(ctx: click.Context) -> list[str]:
    """The shared options given before or after the command, as command-line arguments."""
    args: list[str] = []
    for level in (ctx.find_root(), ctx):
        for param in level.command.params:
            if not isinstance(param, click.Option) or param.name is None:
                continue
            if param.name in _EXPORT_ONLY or not _given(level, param.name):
                continue
            value = level.params[param.name]
            flag = param.opts[-1]
            if param.is_flag:
                args.append(flag)
            else:
                for item in value if param.multiple else (value,):
                    args += [flag, str(item)]
    return args


def _job(ctx: click.Context, **overrides: Any) -> Job:
    """The export job the options before and after the command name describe."""
    from .pipeline import Job

    options = _merged(ctx)
    job = Job(
        _flags(options),
        _names(options),
        _min_valid(options),
        not options["no_cache"],
        options["dedicated"],
    )
    return job._replace(**overrides)


def _flags(options: dict[str, Any]) -> Flags:
    return Flags(**{name: options[name] for name in Flags._fields})


def _names(options: dict[str, Any]) -> Names:
    model = None if options["no_model_var"] else options["model_var"]
    return Names(model=model, api_base=options["openai_api_base"]).checked()


def _min_valid(options: dict[str, Any]) -> int:
    from .durations import parse_duration

    return parse_duration(options["min_valid"], "--min-valid")


def _prepare(job: Job, options: dict[str, Any]) -> Exports:
    """Settings and token, with the notes and --verbose lines said on stderr."""
    exports = job.prepare(os.environ)
    for note in exports.notes:
        console.note(note)
    if options["verbose"]:
        for line in exports.describe():
            console.say(line)
    return exports


def _write_env_file(job: Job, path: Path, options: dict[str, Any]) -> Exports:
    from . import envfile

    exports = _prepare(job, options)
    mode = envfile.update(path, exports.variables)
    if mode & 0o077:
        console.note(f"{path} is readable by others (mode {mode:04o}): chmod 600 {path}")
    if options["verbose"]:
        console.say(f"wrote {', '.join(exports.variables)} to {path}")
    return exports


def _detect_format(verbose: bool) -> str:
    from .shell_detect import detect

    detected = detect(os.environ)
    if verbose:
        console.say(f"format: {detected.format} ({detected.reason})")
    return detected.format


def _unset(fmt: str, env_file: Path | None, names: Names) -> None:
    """Remove every variable the tool sets: from the shell (printed) or from a .env file."""
    if env_file is None:
        from .formats import render_unset

        console.emit(render_unset(fmt, names.all()))
        return
    from . import envfile

    envfile.remove(env_file, names.all())
