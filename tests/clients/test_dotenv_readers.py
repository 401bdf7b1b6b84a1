"""One `.env` written by `--env-file`, read alike by python-dotenv, docker, node and npm dotenv."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from dotenv import dotenv_values

from tests.clients.recipes import QUOTA_PROJECT, Lab, without_proxies
from tests.conftest import invoke, require
from tests.readers import docker_env_file

ARGS = ("--project", "my-proj", "--location", "us-central1", "--model", "gemini-2.5-flash")
NAMES = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "VERTEX_OPENAI_TOKEN_EXPIRES_AT",
    "OPENAI_API_BASE",
    "OPENAI_CUSTOM_HEADERS",
)


@pytest.fixture
def values(lab: Lab) -> dict[str, str]:
    """Write `.env` beside a line of the user's (credentials with a quota project); return
    the tool's values as python-dotenv reads them."""
    path = lab.folder / ".env"
    path.write_text("DEBUG=1\n")
    result = invoke(*ARGS, "--api-endpoint", lab.google.url, "--env-file", str(path))
    assert result.exit_code == 0, result.stderr
    found = dotenv_values(path)
    assert found["OPENAI_CUSTOM_HEADERS"] == f"x-goog-user-project:{QUOTA_PROJECT}"
    assert lab.google.valid(found["OPENAI_API_KEY"])
    return {name: str(found[name]) for name in NAMES}


def node_reads(lab: Lab, source: str, *flags: str) -> dict[str, str]:
    """The variables as node finds them in `source` (an expression for an object)."""
    code = f"const env = {source};\nconsole.log(JSON.stringify(env));"
    result = subprocess.run(
        [require("node"), *flags, "--input-type=commonjs", "-e", code],
        cwd=lab.folder, env=lab.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    return {name: seen.get(name) for name in NAMES}


def test_dockers_literal_rule_reads_what_python_dotenv_reads(
    values: dict[str, str], lab: Lab
) -> None:
    # docker run --env-file keeps quotes as part of the value. docker cannot run here, so
    # tests/readers.py reimplements its rule: a quoted value shows up as a mismatch.
    docker = docker_env_file((lab.folder / ".env").read_text())
    assert {name: docker[name] for name in NAMES} == values
    assert docker["DEBUG"] == "1"


def test_node_env_file_reads_what_python_dotenv_reads(values: dict[str, str], lab: Lab) -> None:
    for name in NAMES:
        lab.env.pop(name, None)  # node --env-file keeps a value already set
    assert node_reads(lab, "process.env", "--env-file=.env") == values


def test_dotenv_loaders_keep_a_value_already_set_as_the_readme_warns(
    values: dict[str, str], lab: Lab
) -> None:
    lab.env["OPENAI_API_KEY"] = "ya29.stale"
    assert node_reads(lab, "process.env", "--env-file=.env")["OPENAI_API_KEY"] == "ya29.stale"
    code = (
        "import os; from dotenv import load_dotenv; load_dotenv(); kept = os.environ['OPENAI_API_KEY']; "
        "load_dotenv(override=True); print(kept, os.environ['OPENAI_API_KEY'])"
    )
    python = subprocess.run(
        [sys.executable, "-c", code], cwd=lab.folder, env=lab.env, capture_output=True, text=True
    )
    assert python.stdout.split() == ["ya29.stale", values["OPENAI_API_KEY"]], python.stderr


@pytest.mark.clients
def test_npm_dotenv_reads_what_python_dotenv_reads(values: dict[str, str], lab: Lab) -> None:
    without_proxies(lab.env)
    install = subprocess.run(
        [require("npm"), "install", "dotenv"],
        cwd=lab.folder, env=lab.env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    parse = "require('dotenv').parse(require('fs').readFileSync('.env'))"
    assert node_reads(lab, parse) == values
    lab.env["OPENAI_API_KEY"] = "ya29.stale"  # and config() keeps a value already set
    loaded = node_reads(lab, "(require('dotenv').config({ quiet: true }), process.env)")
    assert loaded["OPENAI_API_KEY"] == "ya29.stale"
