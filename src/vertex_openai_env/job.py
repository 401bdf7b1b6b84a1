"""Flags and environment, validated once, as one immutable job that every command runs.

Names, durations, the target and the flags that go together are all checked here, before
anything is fetched or printed: the export, `exec`, `hook` and the rest fail alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from .durations import parse_duration, spoken
from .errors import InputError
from .output.variables import Names, model_var
from .settings.place import Flags, Place, resolve_place
from .settings.sources import Sourced, Sources
from .tokens import request
from .tokens.types import TokenRequest

if TYPE_CHECKING:
    from pathlib import Path


class Job(NamedTuple):
    """Where to send requests, which token to get, and which variables to make."""

    place: Place
    token: TokenRequest
    token_origins: Mapping[str, Sourced]
    names: Names
    min_valid: int = 300
    timeout: float = 10.0
    use_cache: bool = True
    dedicated: bool = False
    verbose: bool = False

    def origins(self) -> dict[str, Sourced]:
        """Each setting known before the token, with where it came from."""
        return {**self.place.origins(), **self.token_origins}


class Output(NamedTuple):
    """Where the export goes: printed in a format, or merged into a `.env` file."""

    format: str | None  # None: the calling shell's, detected
    env_file: Path | None = None
    watch: bool = False
    unset: bool = False
    step_outputs: bool = False  # --github-output


def build(
    options: Mapping[str, Any], environ: Mapping[str, str], target_required: bool = True
) -> Job:
    """The job that `options` (as the command line names them) and `environ` describe."""
    sources = Sources(environ)  # one reading of gcloud's files serves both resolvers
    place = resolve_place(
        Flags(
            project=options["project"],
            location=options["location"],
            model=options["model"],
            endpoint=options["endpoint"],
            api_version=options["api_version"],
            api_endpoint=options["api_endpoint"],
        ),
        sources,
        target_required,
    )
    token, origins = request.resolve_token(
        request.TokenFlags(
            token_source=options["token_source"],
            impersonate=options["impersonate"],
            lifetime=options["lifetime"],
            quota_project=options["quota_project"],
            scopes=tuple(options["scopes"]),
        ),
        sources,
    )
    min_valid = parse_duration(options["min_valid"], "--min-valid")
    if min_valid >= token.known_lifetime:
        raise InputError(
            f"--min-valid {spoken(min_valid)} is not shorter than a token's lifetime "
            f"({spoken(token.known_lifetime)}): no token would ever be fresh enough",
            fix="leave --min-valid at its default (5m), or ask for longer tokens with --lifetime",
        )
    if options["dedicated"] and place.target.kind != "endpoint":
        raise InputError("--dedicated goes with --endpoint: only endpoints can be dedicated")
    return Job(
        place=place,
        token=token,
        token_origins=origins,
        names=names(options),
        min_valid=min_valid,
        timeout=options["timeout"],
        use_cache=not options["no_cache"],
        dedicated=options["dedicated"],
        verbose=options["verbose"],
    )


def names(options: Mapping[str, Any]) -> Names:
    """The variables to set (or, with --unset, to remove)."""
    models = () if options["no_model_var"] else tuple(map(model_var, options["model_var"]))
    if len({model.name for model in models}) < len(models):
        raise InputError("--model-var names one variable twice")
    return Names(
        models,
        api_base=options["openai_api_base"],
        quota_header=options["quota_header"],
        no_tracing=options["no_tracing"],
    )


def output(options: Mapping[str, Any]) -> Output:
    """Where the export goes, once the flags that must go together are checked."""
    fmt: str | None = options["fmt"]
    env_file: Path | None = options["env_file"]
    if env_file is not None and fmt not in (None, "dotenv"):
        raise InputError("--env-file writes the dotenv format; drop --format")
    if options["github_output"] and fmt != "github":
        raise InputError("--github-output goes with --format github")
    if options["watch"] and env_file is None:
        raise InputError("--watch keeps a file fresh: give --env-file PATH")
    if options["watch"] and options["unset"]:
        raise InputError("--watch keeps variables fresh and --unset removes them: give one")
    return Output(
        format="dotenv" if env_file else fmt,
        env_file=env_file,
        watch=options["watch"],
        unset=options["unset"],
        step_outputs=options["github_output"],
    )
