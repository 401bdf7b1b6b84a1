"""Every shared option, declared once, in the groups the commands pick from.

The root command declares them all, so that they may come before a command's name as well
as after it. Every command refuses one given before its name that it does not take
(`refuse_strays`, run by the Command class before any command); `merged` then joins both.

Options that a variable or gcloud's configuration can also set (the place, the token)
deliberately have no `default=`: None means "not given", and the resolvers in settings/
and tokens/request.py fall back on the environment, gcloud, then their own default. A
`default=` here would always win over the environment. Their `[default: ...]` is in the
help text only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from ..output.formats import NAMES as FORMATS
from ..output.variables import MODELS
from ..tokens.registry import DEFAULT as DEFAULT_SOURCE
from ..tokens.registry import SOURCES
from . import tab

F = TypeVar("F", bound=Callable[..., Any])
Decorator = Callable[[F], F]


def group(*options: Decorator[Any]) -> Decorator[F]:
    """Apply `options` in the order given (the first shows first in --help)."""

    def apply(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


# No `default=` on the place's and the token's options, so that the environment can win:
# see the module's docstring.
project = click.option("--project", metavar="PROJECT_ID", help="Google Cloud project ID.")


location = click.option(
    "--location",
    metavar="LOCATION",
    shell_complete=tab.locations,
    help="global, us, eu or a region such as us-central1 (models default to global).",
)


model = click.option(
    "--model",
    metavar="MODEL_ID",
    shell_complete=tab.models,
    help="A Google-managed or Model Garden model, such as gemini-2.5-flash.",
)
endpoint = click.option(
    "--endpoint",
    metavar="ENDPOINT_ID",
    shell_complete=tab.endpoints,
    help="The ID of a Vertex endpoint serving a model you deployed.",
)
api_version = click.option(
    "--api-version",
    type=click.Choice(["v1beta1", "v1"]),
    help="Vertex API version in the URL.  [default: v1beta1]",
)
api_endpoint = click.option(
    "--api-endpoint",
    metavar="HOST_OR_URL",
    help="Use this host or URL instead of Google's (Private Service Connect, proxies).",
)
token_source = click.option(
    "--token-source",
    type=click.Choice(list(SOURCES)),
    help=f"Where the token comes from.  [default: {DEFAULT_SOURCE}]",
)
impersonate = click.option(
    "--impersonate-service-account",
    "impersonate",
    metavar="SA_EMAIL",
    help="Get a token for this service account (a,b,c: a delegation chain).",
)
lifetime = click.option(
    "--lifetime",
    metavar="DURATION",
    help="Token lifetime with impersonation: 90m, 12h, 3600 (at most 12h).",
)
quota_project = click.option(
    "--quota-project",
    metavar="PROJECT_ID",
    help="Project billed for the tool's own API calls (endpoints, check).",
)
scopes = click.option(
    "--scopes",
    multiple=True,
    metavar="SCOPES",
    help="OAuth scopes, comma-separated.  [default: cloud-platform]",
)
timeout = click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="Give up on the whole command (network, gcloud, files) after this long.",
)
min_valid = click.option(
    "--min-valid",
    default="5m",
    show_default=True,
    metavar="DURATION",
    help="Reuse a cached token only while it stays valid this long.",
)
no_cache = click.option("--no-cache", is_flag=True, help="Neither read nor write the token cache.")
dedicated = click.option(
    "--dedicated",
    is_flag=True,
    help="With --endpoint: use the endpoint's own DNS name (dedicated endpoints).",
)
verbose = click.option(
    "-v", "--verbose", is_flag=True, help="Say on stderr where each setting came from."
)
model_var = click.option(
    "--model-var",
    multiple=True,
    default=list(MODELS),
    show_default=True,
    metavar="NAME[=TEMPLATE]",
    help="Variable that receives the model ID; repeatable, and naming one replaces the "
    "defaults (OPENAI_MODEL, and the names the Agents SDK and Semantic Kernel read). "
    "{model} in TEMPLATE is the ID: AIDER_MODEL=openai/{model}.",
)
no_model_var = click.option("--no-model-var", is_flag=True, help="Do not export the model ID.")
openai_api_base = click.option(
    "--openai-api-base/--no-openai-api-base",
    default=True,
    help="Also export the base URL as OPENAI_API_BASE, which LangChain reads first.  [default: on]",
)
quota_header = click.option(
    "--quota-header/--no-quota-header",
    default=True,
    help="Export OPENAI_CUSTOM_HEADERS with x-goog-user-project when the credentials "
    "carry a quota project.  [default: on]",
)
no_tracing = click.option(
    "--no-agents-tracing/--agents-tracing",
    "no_tracing",
    default=True,
    help="Export OPENAI_AGENTS_DISABLE_TRACING=1: else the OpenAI Agents SDK sends its "
    "traces to api.openai.com with OPENAI_API_KEY, your token.  [default: on]",
)
fmt = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Output format.  [default: your shell's, detected]",
)
env_file = click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Update these variables in a .env file instead of printing them.",
)
watch = click.option(
    "--watch",
    is_flag=True,
    help="With --env-file: keep running and rewrite the file before each expiry.",
)
unset = click.option(
    "--unset",
    is_flag=True,
    help="Print the lines that remove the variables again (with --env-file: delete them).",
)
github_output = click.option(
    "--github-output",
    is_flag=True,
    help="With --format github: also set step outputs (all but the token) in $GITHUB_OUTPUT.",
)

port = click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    metavar="PORT",
    help="Port the gateway listens on.  [default: a free one]",
)
alias = click.option(
    "--alias",
    multiple=True,
    metavar="NAME=MODEL",
    help="The gateway sends requests for model NAME to MODEL; repeatable: gpt-4o=gemini-2.5-flash.",
)


def names(*options: Decorator[Any]) -> tuple[str, ...]:
    """The parameter names `options` declare, in the order --help shows them."""

    def probe() -> None: ...

    apply: Decorator[Any] = group(*options)
    declared: Any = apply(probe)
    return tuple(str(param.name) for param in reversed(declared.__click_params__))


PLACE = group(project, location, model, endpoint, api_version, api_endpoint)
TOKEN = group(token_source, impersonate, lifetime, quota_project, scopes, timeout)
CACHE = group(min_valid, no_cache)
NAMES = group(model_var, no_model_var, openai_api_base, quota_header, no_tracing)
# Everything a job needs: what `exec`, `hook` and the export itself take.
JOB = group(PLACE, TOKEN, CACHE, NAMES, dedicated, verbose)
OUTPUT = group(fmt, env_file, watch, unset, github_output)
OUTPUT_NAMES = names(OUTPUT)
# --help shows a command's own options first, then the shared ones in these sections.
SECTIONS = (
    ("Where requests go", names(PLACE, dedicated)),
    ("Token", names(TOKEN, CACHE)),
    ("Variables", names(NAMES)),
    ("Output", OUTPUT_NAMES),
)


def given(ctx: click.Context, name: str) -> bool:
    """Whether option `name` was given (not a default) in `ctx`."""
    source = ctx.get_parameter_source(name)
    return source is not None and source is not ParameterSource.DEFAULT


def refuse_strays(ctx: click.Context) -> None:
    """A usage error for an option given before the command's name that the command does
    not take: run for every command, whether it reads the options (`merged`) or not."""
    root = ctx.find_root()
    if root is ctx:
        return
    taken = {param.name for param in ctx.command.params}
    for param in root.command.params:
        if param.name and param.name not in taken and given(root, param.name):
            raise click.UsageError(_not_for(param, ctx.info_name or ""), ctx)


def merged(ctx: click.Context) -> dict[str, Any]:
    """The options given before the command's name and after it; those after win."""
    root = ctx.find_root()
    options = dict(root.params)
    options.update({name: value for name, value in ctx.params.items() if given(ctx, name)})
    return options


def _not_for(param: click.Parameter, command: str) -> str:
    option = param.opts[0] if param.opts else param.name
    if param.name in OUTPUT_NAMES:
        return f"{option} applies to printing the variables, not to commands"
    return f"{option} does not apply to `{command}`"


def given_args(ctx: click.Context) -> list[str]:
    """The options given before or after the command name, as command-line arguments."""
    args: list[str] = []
    for level in (ctx.find_root(), ctx):
        for param in level.command.params:
            if not isinstance(param, click.Option) or param.name is None:
                continue
            if param.name in OUTPUT_NAMES or not given(level, param.name):
                continue
            value = level.params[param.name]
            flag = param.opts[-1]
            if param.is_flag:
                # A --x/--no-x pair: the spelling that says what was given.
                args.append(flag if value or not param.secondary_opts else param.secondary_opts[-1])
            else:
                for item in value if param.multiple else (value,):
                    args += [flag, str(item)]
    return args
