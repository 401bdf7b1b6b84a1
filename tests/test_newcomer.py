"""What a newcomer meets first: messages that are true, fixes that fit, nothing said too late."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import invoke
from tests.fake_google import FakeGoogle, json_reply

ARGS = ("--project", "my-proj", "--location", "us-central1")


def test_notes_and_verbose_settings_come_before_a_credentials_failure() -> None:
    result = invoke(*ARGS, "--model", "Gemini-2.5-Flash", "-v")  # and no credentials at all
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    note = "vertex-openai-env: note: model IDs are lowercase: did you mean gemini-2.5-flash?"
    assert lines.index(note) < len(lines) - 2
    assert "vertex-openai-env: location: us-central1 (from --location)" in lines
    assert "vertex-openai-env: model: Gemini-2.5-Flash (from --model)" in lines
    assert lines[-2].startswith("vertex-openai-env: error: no Google credentials found")


def test_a_refused_key_names_its_own_account_in_the_fix(
    google: FakeGoogle, service_account: Path
) -> None:
    refusal = {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
    google.fail_next("/token", lambda call: json_reply(400, refusal))
    result = invoke(*ARGS, "--model", "m")
    assert result.stderr.splitlines()[-1] == (
        f"  fix: gcloud iam service-accounts keys create KEY.json --iam-account={google.sa_email}"
    )


def test_a_missing_endpoints_fix_keeps_the_api_endpoint(
    google: FakeGoogle, service_account: Path
) -> None:
    result = invoke(*ARGS, "--api-endpoint", google.url, "endpoints", "--endpoint", "999")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "  fix: vertex-openai-env endpoints --project my-proj --location us-central1 "
        f"--api-endpoint {google.url}"
    )


def test_a_lifetime_fix_keeps_the_lifetime_asked_for() -> None:
    result = invoke(*ARGS, "--model", "m", "--lifetime", "2h")
    assert "--lifetime 2h ..." in result.stderr.splitlines()[-1]


def test_a_probe_answered_with_a_web_page_is_not_all_good(
    google: FakeGoogle, service_account: Path
) -> None:
    chat = "/v1beta1/projects/my-proj/locations/us-central1/endpoints/openapi/chat/completions"
    page = (200, {"content-type": "text/html"}, b"<html>Welcome to the hotel Wi-Fi</html>")
    google.fail_next(chat, lambda call: page)
    result = invoke(*ARGS, "--api-endpoint", google.url, "check", "--model", "m", "--probe")
    assert result.exit_code == 1
    assert "with something that is not a chat completion" in result.stderr
    assert "all good" not in result.stderr


@pytest.mark.parametrize(("typed", "meant"), [("chek", "check"), ("endpoint", "endpoints")])
def test_a_misspelled_command_gets_a_did_you_mean(typed: str, meant: str) -> None:
    result = invoke(typed)
    assert result.exit_code == 2
    assert f"did you mean '{meant}'?" in result.stderr
