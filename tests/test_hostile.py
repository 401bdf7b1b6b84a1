"""Hostile or broken servers and files: nothing reaches the terminal raw, nothing hangs past
--timeout, nothing absurd is trusted."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    cli_env,
    exported,
    invoke,
    metadata_env,
    require,
    run,
    use_service_account,
    write_gcloud_config,
)
from tests.fake_google import DRIP, FakeGoogle, json_reply

ARGS = ("--project", "my-proj", "--location", "us-central1")
ENDPOINTS = "/v1/projects/my-proj/locations/us-central1/endpoints"
CHAT = "/v1beta1/projects/my-proj/locations/us-central1/endpoints/openapi/chat/completions"
# C0 (but the line end), DEL and C1: what can move a cursor, retitle a window, or worse.
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
NASTY = "evil\x1b]0;pwned\x07\x9b2J\x7fname"


def api(google: FakeGoogle, *args: str) -> Any:
    return invoke(*ARGS, "--api-endpoint", google.url, *args)


def nasty_endpoint() -> dict[str, Any]:
    return {
        "name": "projects/123/locations/us-central1/endpoints/77",
        "displayName": NASTY,
        "deployedModels": [{"id": "9", "displayName": NASTY}],
    }


@pytest.mark.parametrize("command", [["endpoints"], ["check", "--endpoint", "77"]])
def test_server_text_reaches_the_terminal_without_control_characters(
    command: list[str], google: FakeGoogle, service_account: Path
) -> None:
    google.endpoints["us-central1"] = [nasty_endpoint()]
    result = api(google, *command)
    assert result.exit_code == 0, result.stderr
    assert "evil" in result.stdout + result.stderr  # the name is shown, escaped
    assert not CONTROL.search(result.stdout + result.stderr)


def test_a_server_error_message_reaches_the_terminal_without_control_characters(
    google: FakeGoogle, service_account: Path
) -> None:
    body = {"error": {"code": 400, "message": f"bad request {NASTY}", "status": "X"}}
    google.fail_next(CHAT, lambda call: json_reply(400, body))
    result = api(google, "check", "--model", "gemini-2.5-flash", "--probe")
    assert result.exit_code == 1
    assert "bad request evil" in result.stderr
    assert not CONTROL.search(result.stdout + result.stderr)


# --- --timeout is a deadline for the whole command -----------------------------------------


def test_a_server_dripping_its_reply_is_given_up_on_by_the_deadline(
    google: FakeGoogle, service_account: Path
) -> None:
    google.fail_next(ENDPOINTS, google.drip(0.2))
    started = time.monotonic()
    result = api(google, "endpoints", "--timeout", "2")
    assert time.monotonic() - started < 4
    assert result.exit_code == 1
    assert f"gave up after 2s (--timeout) waiting for {google.url}{ENDPOINTS}" in result.stderr


def test_the_dedicated_lookup_is_bounded_by_the_deadline(
    google: FakeGoogle, service_account: Path
) -> None:
    google.fail_next(f"{ENDPOINTS}/77", google.drip(0.2, body=nasty_endpoint()))
    started = time.monotonic()
    result = api(google, "--endpoint", "77", "--dedicated", "--timeout", "2")
    assert time.monotonic() - started < 4
    assert result.exit_code == 1
    assert "gave up after 2s (--timeout) waiting for" in result.stderr
    assert result.stdout == ""


EMAIL = "/computeMetadata/v1/instance/service-accounts/default/email"


@pytest.mark.parametrize(
    ("path", "args", "gives_up"),
    [
        ("/computeMetadata/v1/project/project-id", [], True),
        # The next two came from an attacker's review: each took ~30 s before its fix.
        ("/", ["--no-cache"], True),  # google-auth's probe of the metadata root
        (EMAIL, [], False),  # it only keys the cache: left after a second, the token fetched
    ],
)
def test_a_metadata_server_dripping_its_reply_is_bounded_by_the_deadline(
    path: str, args: list[str], gives_up: bool, google: FakeGoogle
) -> None:
    # 60 bytes, one every 0.5 s: 30 s for the body, every recv well inside its 1 s timeout.
    body = ("x" * 34 + "@p.iam.gserviceaccount.com").encode()
    google.fail_next(path, lambda call: (200, {"Metadata-Flavor": "Google", DRIP: "0.5"}, body))
    started = time.monotonic()
    result = run("--location", "us-central1", "--model", "m", "--timeout", "2", *args,
                 env=metadata_env(google))  # fmt: skip
    took = time.monotonic() - started
    assert took < 5, f"--timeout 2 took {took:.1f}s (rc={result.returncode})"
    if gives_up:
        assert result.returncode == 1
        assert f"gave up after 2s (--timeout) waiting for {google.url}{path}\n" in result.stderr
        assert result.stdout == ""
    else:
        assert result.returncode == 0, result.stderr
        assert google.valid(exported(result.stdout)["OPENAI_API_KEY"])
        assert result.stderr == ""


def test_a_credentials_fifo_whose_writer_never_writes_is_given_up_on(tmp_path: Path) -> None:
    fifo = tmp_path / "key.json"
    os.mkfifo(fifo)
    # A writer that holds the pipe open and says nothing, as `<(sleep 60; cat key)` would.
    holder = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    try:
        env = {**os.environ, "GOOGLE_APPLICATION_CREDENTIALS": str(fifo)}
        started = time.monotonic()
        result = run(*ARGS, "--model", "m", "--timeout", "1", env=env)
    finally:
        os.close(holder)
    assert time.monotonic() - started < 4
    assert result.returncode == 1
    assert f"gave up after 1s (--timeout) waiting for credentials file {fifo}" in result.stderr


def test_a_credentials_fifo_with_no_writer_is_an_empty_file_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "key.json"
    os.mkfifo(fifo)
    env = {**os.environ, "GOOGLE_APPLICATION_CREDENTIALS": str(fifo)}
    result = run(*ARGS, "--model", "m", "--timeout", "5", env=env)
    assert result.returncode == 1
    assert f"credentials file {fifo} is empty" in result.stderr


# --- what servers and files say is sanity-checked -----------------------------------------


@pytest.mark.parametrize(
    ("expires_in", "message"),
    [
        (1e300, "failed"),
        (-5000, "returned a token that has already expired"),
        (float("nan"), "failed"),
    ],
)
def test_an_absurd_expiry_is_refused(
    expires_in: float, message: str, google: FakeGoogle, service_account: Path
) -> None:
    reply = {"access_token": "ya29.absurd", "expires_in": expires_in, "token_type": "Bearer"}
    google.fail_next(
        "/token",
        lambda call: (200, {"content-type": "application/json"}, json.dumps(reply).encode()),
    )
    result = invoke(*ARGS, "--model", "m")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert message in result.stderr
    assert "internal error" not in result.stderr


def test_an_expiry_years_away_is_trusted_for_twelve_hours_at_most(
    google: FakeGoogle, service_account: Path
) -> None:
    reply = {"access_token": "ya29.forever", "expires_in": 99999999999, "token_type": "Bearer"}
    google.fail_next("/token", lambda call: json_reply(200, reply))
    values = exported(invoke(*ARGS, "--model", "m", "--format", "sh").stdout)
    assert values["OPENAI_API_KEY"] == "ya29.forever"
    expires = time.mktime(
        time.strptime(values["VERTEX_OPENAI_TOKEN_EXPIRES_AT"], "%Y-%m-%dT%H:%M:%SZ")
    )
    assert expires - time.mktime(time.gmtime()) <= 12 * 3600 + 5


def with_piped_key(key: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The tool run by bash with its key given as `<(cat KEY)`: a pipe, readable once."""
    script = f'GOOGLE_APPLICATION_CREDENTIALS=<(cat {key}) vertex-openai-env "$@"'
    return subprocess.run(
        [require("bash"), "-c", script, "bash", *ARGS, "--model", "m", *args],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=60,
    )


def test_a_key_read_through_process_substitution_is_read_once(
    google: FakeGoogle, tmp_path: Path
) -> None:
    key = google.service_account_file(tmp_path)
    for _ in range(2):  # the second run is a cache hit: the pipe's bytes name the same key
        result = with_piped_key(key, "--format", "sh")
        assert result.returncode == 0, result.stderr
        assert google.valid(exported(result.stdout)["OPENAI_API_KEY"])
    assert google.count("/token") == 1


def test_check_reads_a_piped_key_once_for_both_its_steps(
    google: FakeGoogle, tmp_path: Path
) -> None:
    result = with_piped_key(google.service_account_file(tmp_path), "check")
    assert result.returncode == 0, result.stderr
    assert "credentials: service account key runner@" in result.stderr  # described first
    assert result.stderr.endswith("all good\n")  # then the token fetched from it
    assert google.count("/token") == 1


def test_an_endless_credentials_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/dev/zero")
    result = invoke(*ARGS, "--model", "m")
    assert result.exit_code == 1
    assert "credentials file /dev/zero is over 1024 KB" in result.stderr


def test_a_quota_project_with_a_line_break_is_refused(
    google: FakeGoogle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_service_account(google, tmp_path, monkeypatch, quota_project_id="billing\r\nX-Evil: 1")
    result = invoke(*ARGS, "--model", "m")
    assert result.exit_code == 2
    assert "is not a Google Cloud project ID" in result.stderr
    assert "(from quota_project_id in" in result.stderr
    assert "internal error" not in result.stderr


def test_a_huge_value_is_shortened_in_messages() -> None:
    result = invoke("--location", "a" * 60_000 + "-b1", "--model", "m", "--project", "my-proj")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "is not a Vertex AI location" in result.stderr
    assert len(result.stderr) < 400


@pytest.mark.parametrize("host", ["\u017f.googleapis.com", "aiplatform.\u212aoogleapis.com"])
def test_host_names_are_ascii(host: str) -> None:
    result = invoke(*ARGS, "--model", "m", "--api-endpoint", host)
    assert result.exit_code == 2
    assert "is not a host name" in result.stderr


def test_an_account_in_a_fix_is_quoted_for_the_shell(
    google: FakeGoogle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fake_google import vertex_error

    google.sa_email = "x;touch PWNED@y.iam.gserviceaccount.com"
    use_service_account(google, tmp_path, monkeypatch)  # the key names that account
    google.fail_next(CHAT, vertex_error("permission"))
    result = api(google, "check", "--model", "m", "--probe")
    fix = result.stderr.splitlines()[-1].removeprefix("  fix: ")
    assert "--member='serviceAccount:x;touch PWNED@y.iam.gserviceaccount.com'" in fix
    subprocess.run(["bash", "-n", "-c", fix], check=True)  # one command, well formed


# --- refreshers never spin --------------------------------------------------------------


def test_watch_refreshes_short_tokens_at_half_their_life_not_every_second(
    google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    google.token_lifetime = 4  # shorter than the 10s margin: the cache never suffices
    dotenv = tmp_path / ".env"
    watcher = subprocess.Popen(
        ["vertex-openai-env", *ARGS, "--model", "m", "--env-file", str(dotenv), "--watch",
         "--min-valid", "10s"],
        stderr=subprocess.PIPE, text=True, env=cli_env(),
    )  # fmt: skip
    threading.Event().wait(7)
    watcher.terminate()
    _, stderr = watcher.communicate(timeout=10)
    assert 2 <= google.count("/token") <= 5  # every ~2s, not every second
    assert stderr.count("less than --min-valid 10s") == 1


# --- found by an attacker's review: each failed before its fix ----------------------------


@pytest.mark.parametrize(
    ("fifo", "status", "said"),
    [
        ("configurations/config_default", 2, "cannot read gcloud configuration {path}: not a regular file"),
        ("active_config", 0, None),  # passed over: the default configuration is read
    ],
)  # fmt: skip
def test_a_gcloud_config_fifo_hangs_past_the_deadline(
    fifo: str, status: int, said: str | None, service_account: Path
) -> None:
    folder = Path(os.environ["CLOUDSDK_CONFIG"])
    write_gcloud_config(folder, {"core": {"project": "gcloud-proj"}})  # then a file a FIFO:
    (folder / fifo).unlink()
    os.mkfifo(folder / fifo)
    command = [sys.executable, "-m", "vertex_openai_env", "--location", "us-central1",
               "--model", "m", "--timeout", "1"]  # fmt: skip
    started = time.monotonic()
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"--timeout 1: still running after 10s on a FIFO at {fifo}")
    took = time.monotonic() - started
    assert took < 4, f"--timeout 1: still running after {took:.0f}s on a FIFO at {fifo}"
    assert result.returncode == status, result.stderr
    if said:
        assert said.format(path=folder / fifo) in result.stderr
    else:
        assert "/projects/gcloud-proj/" in exported(result.stdout)["OPENAI_BASE_URL"]
        assert result.stderr == ""


GCLOUD = """#!/bin/sh
setsid sleep 30 &
echo '{"token": "ya29.abc", "expiry": {"datetime": "2099-01-01 00:00:00"}}'
"""


def test_a_helper_in_its_own_session_holds_the_command_past_the_deadline(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gcloud").write_text(GCLOUD)
    (bin_dir / "gcloud").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, "-m", "vertex_openai_env", "--token-source", "gcloud",
               "--project", "my-proj", "--location", "us-central1", "--model", "m",
               "--no-cache", "--timeout", "2"]  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    took = time.monotonic() - started
    assert took < 5, f"--timeout 2 took {took:.0f}s"
    assert result.returncode == 0, result.stderr
    assert exported(result.stdout)["OPENAI_API_KEY"] == "ya29.abc"  # what gcloud printed


def test_a_server_named_endpoint_runs_code_from_the_fix_line(
    google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    proof = tmp_path / "pwned"
    hostile_id = "$(touch${IFS}pwned)"  # no "/": the ID is the name's last segment
    # The API answers the lookup of endpoint 77 with an endpoint named otherwise.
    google.fail_next(
        "/v1/projects/my-proj/locations/us-central1/endpoints/77",
        lambda call: json_reply(
            200,
            {
                "name": f"projects/1/locations/us-central1/endpoints/{hostile_id}",
                "deployedModels": [],
            },
        ),
    )
    result = invoke(*ARGS, "--api-endpoint", google.url, "check", "--endpoint", "77")
    assert result.exit_code == 1
    fix = re.search(r"^  fix: (.*)$", result.stderr, re.MULTILINE)
    assert fix, result.stderr
    # The user pastes the suggested fix (gcloud need not even exist: $(...) runs first).
    subprocess.run(["sh", "-c", fix.group(1)], cwd=tmp_path, capture_output=True, timeout=10)
    assert not proof.exists(), f"pasting the fix line ran the server's code: {fix.group(1)}"


NESTED = b"[" * 200_000 + b"]" * 200_000  # deeper than Python's JSON parser will go


def test_json_nested_too_deep_is_a_bad_reply_not_a_crash(
    google: FakeGoogle, service_account: Path
) -> None:
    google.fail_next(CHAT, lambda call: (400, {"content-type": "application/json"}, NESTED))
    probed = api(google, "check", "--model", "m", "--probe")
    assert probed.exit_code == 1
    assert "Vertex AI answered HTTP 400" in probed.stderr
    google.fail_next("/token", lambda call: (200, {"content-type": "application/json"}, NESTED))
    fetched = invoke(*ARGS, "--model", "m", "--no-cache")
    assert fetched.exit_code == 1
    assert "internal error" not in probed.stderr + fetched.stderr


def test_a_dedicated_name_outside_googles_domain_is_not_used(
    google: FakeGoogle, service_account: Path
) -> None:
    endpoint = {**nasty_endpoint(), "dedicatedEndpointDns": "collector.example.com"}
    google.endpoints["us-central1"] = [endpoint]
    result = api(google, "--endpoint", "77", "--dedicated")
    assert result.exit_code == 1
    assert "endpoint 77 has no dedicated DNS name" in result.stderr
    assert result.stdout == ""
