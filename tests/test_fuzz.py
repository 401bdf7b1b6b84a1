"""Hostile input, fuzzed: never a traceback, never output on failure, never a payload."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from unittest import mock

from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import plain_words, require
from tests.fake_google import FakeGoogle
from vertex_openai_env.cli import main
from vertex_openai_env.output.formats import NAMES as FORMAT_NAMES

PAYLOADS = [
    "$(touch PWNED)",
    "`touch PWNED`",
    "';touch PWNED;'",
    '"; touch PWNED; "',
    "a\ntouch PWNED",
]
HOSTILE = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(
        st.one_of(
            st.sampled_from(list("'\"\\$`;&|<>(){}*?~#=!% \t\n\r\x00\x1b/.-_:@")),
            st.characters(codec="utf-8"),
        ),
        max_size=30,
    ),
)


def mostly(*valid: str) -> st.SearchStrategy[str]:
    """Usually a valid value, so that runs get far; sometimes a hostile one."""
    good = st.sampled_from(valid)
    return st.one_of(good, good, good, HOSTILE)


OPTIONS = {
    "--project": mostly("my-proj", "example.com:legacy-proj", "123456789012"),
    "--location": mostly("us-central1", "global", "eu", "europe-west4"),
    "--model": mostly("gemini-2.5-flash", "meta/llama-3-maas"),
    "--endpoint": mostly("42", "my-endpoint"),
    "--api-version": mostly("v1", "v1beta1"),
    "--format": mostly(*FORMAT_NAMES),
    "--env-file": mostly("../x.env", "/", "sub/.env"),
    "--model-var": mostly("LLM_MODEL", "OPENAI_MODEL"),
    "--scopes": mostly("cloud-platform", "cloud-platform,userinfo.email"),
    "--impersonate-service-account": mostly("sa@p.iam.gserviceaccount.com"),
    "--min-valid": mostly("5m", "90s"),
}
VARIABLES = [
    "VERTEX_OPENAI_ENV_PROJECT",
    "VERTEX_OPENAI_ENV_LOCATION",
    "VERTEX_OPENAI_ENV_MODEL",
    "VERTEX_OPENAI_ENV_ENDPOINT",
    "VERTEX_OPENAI_ENV_API_ENDPOINT",
    "VERTEX_OPENAI_ENV_API_VERSION",
    "VERTEX_OPENAI_ENV_TOKEN_SOURCE",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "CLOUDSDK_CORE_PROJECT",
    "CLOUDSDK_AI_REGION",
    "CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT",
    "GOOGLE_CLOUD_QUOTA_PROJECT",
    "CLOUDSDK_ACTIVE_CONFIG_NAME",
]


@st.composite
def invocations(draw: st.DrawFn) -> tuple[list[str], dict[str, str]]:
    chosen = draw(st.lists(st.sampled_from(sorted(OPTIONS)), max_size=6, unique=True))
    args = [part for option in chosen for part in (option, draw(OPTIONS[option]))]
    names = draw(st.lists(st.sampled_from(VARIABLES), max_size=4, unique=True))
    # An environment variable cannot hold a NUL.
    environ = {name: draw(HOSTILE).replace("\0", "") for name in names}
    return args, environ


@given(invocation=invocations())
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_hostile_arguments_and_variables(
    invocation: tuple[list[str], dict[str, str]], google: FakeGoogle, service_account: Path
) -> None:
    args, environ = invocation
    with mock.patch.dict(os.environ, environ), tempfile.TemporaryDirectory() as folder:
        # Relative --env-file paths land in the throwaway folder.
        here = os.getcwd()
        os.chdir(folder)
        try:
            result = CliRunner().invoke(main, ["--model", "m", *args], catch_exceptions=True)
        finally:
            os.chdir(here)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exception
        )
        # A value of "None" is the user's own word, quoted back: not a Python repr.
        given_none = "None" in [*args, *environ.values()]
        plain_words(result.stderr.replace('"None"', '"x"') if given_none else result.stderr)
        errors = [line for line in result.stderr.splitlines() if " error: " in line]
        event(f"exit {result.exit_code}")
        if result.exit_code != 0:
            assert result.stdout == ""
            assert len(errors) == 1, result.stderr
            return
        assert errors == []
        if result.stdout and all(line.startswith("export ") for line in result.stdout.splitlines()):
            # What a shell would run: it must set variables and do nothing else.
            script = Path(folder) / "out.sh"
            script.write_text(result.stdout)
            dash = require("dash")
            subprocess.run([dash, "-c", f". {script}"], cwd=folder, check=True, timeout=30)
            assert "PWNED" not in os.listdir(folder)
