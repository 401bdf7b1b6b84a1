"""endpoints, --dedicated and check, against a loopback stand-in of the Vertex REST API."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import exported, invoke
from tests.fake_google import FakeGoogle, vertex_error

PROJECT = "my-proj"
LOCATION = "us-central1"
CHAT = f"/v1beta1/projects/{PROJECT}/locations/{LOCATION}/endpoints/openapi/chat/completions"


def fake_endpoint(number: int, dedicated: bool = False) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": f"projects/123/locations/{LOCATION}/endpoints/{1000 + number}",
        "displayName": f"endpoint-{number}",
        "deployedModels": [{"id": "9", "displayName": f"llama-{number}"}],
        "dedicatedEndpointEnabled": dedicated,
    }
    if dedicated:
        item["dedicatedEndpointDns"] = f"{1000 + number}.{LOCATION}-123.prediction.vertexai.goog"
    return item


@pytest.fixture
def vertex(google: FakeGoogle, service_account: Path) -> FakeGoogle:
    google.endpoints[LOCATION] = [fake_endpoint(n, dedicated=n == 2) for n in range(5)]
    return google


def cli(google: FakeGoogle, *args: str) -> Any:
    return invoke("--project", PROJECT, "--location", LOCATION, "--api-endpoint", google.url, *args)


def test_endpoints_lists_every_page_as_a_table(vertex: FakeGoogle) -> None:
    result = cli(vertex, "endpoints")
    assert result.exit_code == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == [
        "ENDPOINT",
        "ID",
        "DISPLAY",
        "NAME",
        "DEPLOYED",
        "MODELS",
        "DEDICATED",
        "DNS",
    ]
    assert [row.split()[0] for row in rows] == ["1000", "1001", "1002", "1003", "1004"]
    assert rows[2].split()[-1] == f"1002.{LOCATION}-123.prediction.vertexai.goog"
    assert rows[0].split()[-1] == "-"
    pages = [c for c in vertex.calls if c.path.endswith("/endpoints") and c.method == "GET"]
    assert [c.query.get("pageToken") for c in pages] == [None, ["2"], ["4"]]
    assert all(vertex.valid(call.bearer) for call in pages)


def test_endpoints_as_json(vertex: FakeGoogle) -> None:
    result = invoke(
        "endpoints", "--format", "json", "--project", PROJECT, "--location", LOCATION,
        "--api-endpoint", vertex.url,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)
    assert listed[1] == {
        "id": "1001",
        "display_name": "endpoint-1",
        "deployed_models": ["llama-1"],
        "dedicated_dns": None,
    }


@pytest.mark.parametrize(
    ("fault", "message", "fix"),
    [
        (
            "permission",
            f"lacks aiplatform.endpoints.predict in project {PROJECT}",
            "roles/aiplatform.user",
        ),
        (
            "api_disabled",
            f"the Vertex AI API is not enabled in project {PROJECT}",
            "gcloud services enable",
        ),
    ],
)
def test_endpoints_errors_are_explained(
    fault: str, message: str, fix: str, vertex: FakeGoogle
) -> None:
    vertex.fail_next(f"/v1/projects/{PROJECT}/locations/{LOCATION}/endpoints", vertex_error(fault))
    result = cli(vertex, "endpoints")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert message in result.stderr
    assert fix in result.stderr


@pytest.mark.parametrize("location", [[], ["--location", "global"]])
def test_endpoints_need_a_region(location: list[str], vertex: FakeGoogle) -> None:
    result = invoke("--project", PROJECT, *location, "endpoints")
    assert result.exit_code == 2
    assert "endpoints live in a region" in result.stderr
    assert "using 'global'" not in result.stderr  # one message, the one that helps


def test_dedicated_uses_the_endpoints_own_host(vertex: FakeGoogle) -> None:
    result = cli(vertex, "--endpoint", "1002", "--dedicated")
    assert result.exit_code == 0, result.stderr
    assert exported(result.stdout)["OPENAI_BASE_URL"] == (
        f"https://1002.{LOCATION}-123.prediction.vertexai.goog/v1beta1/projects/{PROJECT}"
        f"/locations/{LOCATION}/endpoints/1002"
    )


def test_dedicated_without_a_dedicated_name_is_an_error(vertex: FakeGoogle) -> None:
    result = cli(vertex, "--endpoint", "1001", "--dedicated")
    assert result.exit_code == 1
    assert "endpoint 1001 has no dedicated DNS name" in result.stderr
    assert result.stdout == ""


def test_dedicated_needs_an_endpoint(vertex: FakeGoogle) -> None:
    result = cli(vertex, "--model", "gemini-2.5-flash", "--dedicated")
    assert result.exit_code == 2
    assert "--dedicated goes with --endpoint" in result.stderr


@pytest.mark.parametrize(
    "dns",
    [
        "x.example.com/$(touch PWNED)",
        "x.prediction.vertexai.goog.example.com",
        # Letters that match [a-z] only when a pattern ignores case in Unicode: the token
        # would go to whatever IDNA makes of them.
        "\u212aey.us-central1-123.prediction.vertexai.goog",  # Kelvin sign, lower() is k
        "\u017fx.us-central1-123.prediction.vertexai.goog",  # long s
        "x.us-central1-123.PREDICTION.VERTEXAI.GOOG.",
    ],
)
def test_a_forged_dedicated_name_never_reaches_the_output(vertex: FakeGoogle, dns: str) -> None:
    vertex.endpoints[LOCATION][2]["dedicatedEndpointDns"] = dns
    result = cli(vertex, "--endpoint", "1002", "--dedicated")
    assert result.exit_code == 1
    assert "endpoint 1002 has no dedicated DNS name" in result.stderr
    assert result.stdout == ""
    assert dns not in result.stderr


def test_a_dedicated_name_in_capitals_is_still_googles(vertex: FakeGoogle) -> None:
    dns = "1002.US-CENTRAL1-123.Prediction.VertexAI.goog"
    vertex.endpoints[LOCATION][2]["dedicatedEndpointDns"] = dns
    result = cli(vertex, "--endpoint", "1002", "--dedicated")
    assert result.exit_code == 0, result.stderr
    assert f"https://{dns}/" in result.stdout


def test_check_all_good_with_probe(vertex: FakeGoogle) -> None:
    result = cli(vertex, "check", "--model", "gemini-2.5-flash", "--probe")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert f"vertex-openai-env: project: {PROJECT} (from --project)" in lines
    assert any(line.startswith("vertex-openai-env: probe: ok (HTTP 200 in ") for line in lines)
    assert lines[-1] == "vertex-openai-env: all good"
    (chat,) = vertex.chats
    assert chat.path == CHAT
    assert chat.json()["max_tokens"] == 1
    assert chat.bearer is not None
    assert chat.bearer not in result.stderr
    assert f"token: {chat.bearer[:8]}… (a prefix, not usable)" in result.stderr


def test_check_keeps_the_notes_on_the_settings(vertex: FakeGoogle) -> None:
    result = invoke(
        "--project", PROJECT, "--api-endpoint", vertex.url, "check", "--model", "gpt-4o"
    )
    assert result.exit_code == 0, result.stderr
    assert "note: gpt-4o" in result.stderr
    assert "token: " in result.stderr  # said with the full picture, after the token


def test_check_says_the_global_default_once(vertex: FakeGoogle) -> None:
    result = invoke(
        "--project", PROJECT, "--api-endpoint", vertex.url, "check", "--model", "m", "--probe"
    )
    assert result.exit_code == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if re.search(r"global\W+\(|'global'", line)]
    assert said == ["vertex-openai-env: location: global (default for models)"]


def test_check_with_no_target_shows_what_it_resolved(vertex: FakeGoogle) -> None:
    result = cli(vertex, "check", "--probe")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert f"vertex-openai-env: project: {PROJECT} (from --project)" in lines
    assert f"vertex-openai-env: location: {LOCATION} (from --location)" in lines
    assert any(line.startswith("vertex-openai-env: credentials: service account") for line in lines)
    assert any(line.startswith("vertex-openai-env: token: ") for line in lines)
    assert lines[-2].startswith("vertex-openai-env: error: no target: pass --model")
    assert lines[-1] == (
        "  fix: vertex-openai-env check --model gemini-2.5-flash # or --endpoint ID: "
        "vertex-openai-env endpoints --location REGION lists them"
    )
    assert vertex.chats == []  # nothing to probe


def test_check_with_no_credentials_does_not_promise_a_metadata_server() -> None:
    result = invoke("check", "--project", PROJECT, "--model", "m", "--probe")
    assert result.exit_code == 1
    assert "if it answers" not in result.stderr
    assert "no metadata server answered" in result.stderr


def test_check_gets_a_fresh_token(vertex: FakeGoogle) -> None:
    cli(vertex, "--model", "m")
    cli(vertex, "check", "--model", "m")
    assert vertex.count("/token") == 2


PROBE_FAILURES = [
    # A service-account key is in use: a login would not help, a new key would.
    ("unauthenticated", "Vertex AI refused the token of runner@", "keys create KEY.json --iam-account=runner@demo-project.iam.gserviceaccount.com"),
    ("permission", "lacks aiplatform.endpoints.predict in project my-proj", "roles/aiplatform.user"),
    ("api_disabled", "the Vertex AI API is not enabled", "aiplatform.googleapis.com --project my-proj"),
    ("quota_project", "user credentials need a quota project here", "gcloud auth application-default set-quota-project my-proj"),
    ("not_found", "model google/gemini-2.5-flash is not served", "try --location global"),
    ("exhausted", "rate-limiting my-proj (HTTP 429)", "ask for more quota"),
    ("unavailable", "Vertex AI failed with HTTP 503", "try again"),
]  # fmt: skip


@pytest.mark.parametrize(("fault", "message", "fix"), PROBE_FAILURES)
def test_check_probe_explains_each_failure(
    fault: str, message: str, fix: str, vertex: FakeGoogle
) -> None:
    vertex.fail_next(CHAT, vertex_error(fault))
    result = cli(vertex, "check", "--model", "gemini-2.5-flash", "--probe")
    assert result.exit_code == 1
    error, fix_line = result.stderr.splitlines()[-2:]
    assert error.startswith("vertex-openai-env: error: ")
    assert message in error
    assert fix in fix_line
    assert "all good" not in result.stderr


def test_check_explains_a_missing_endpoint(vertex: FakeGoogle) -> None:
    result = cli(vertex, "check", "--endpoint", "4242")
    assert result.exit_code == 1
    assert f"endpoint 4242 does not exist in {PROJECT}/{LOCATION}" in result.stderr


def test_check_fails_for_a_dedicated_endpoint_on_the_shared_host(vertex: FakeGoogle) -> None:
    result = cli(vertex, "check", "--endpoint", "1002")
    assert result.exit_code == 1
    assert "endpoint 1002 is dedicated: it answers only on its own DNS name" in result.stderr
    assert result.stderr.endswith("  fix: add --dedicated\n")
    assert "all good" not in result.stderr
    quiet = cli(vertex, "check", "--endpoint", "1002", "--dedicated")
    assert quiet.exit_code == 0, quiet.stderr
    endpoint = f"/v1/projects/{PROJECT}/locations/{LOCATION}/endpoints/1002"
    assert vertex.count(endpoint) == 2  # one per check: --dedicated's look-up serves both


def test_check_fails_for_an_endpoint_with_no_deployed_model(vertex: FakeGoogle) -> None:
    vertex.endpoints[LOCATION][1]["deployedModels"] = []
    result = cli(vertex, "check", "--endpoint", "1001", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert document["problem"]["step"] == "endpoint"
    assert "has no deployed model" in document["problem"]["message"]
    assert "gcloud ai endpoints deploy-model 1001" in document["problem"]["fix"]


@pytest.mark.parametrize(
    ("args", "step", "message", "model"),
    [
        (
            ["--project", "Bad Project", "--model", "m"],
            "settings",
            "is not a Google Cloud project ID",
            None,  # nothing resolved to show
        ),
        (
            ["--project", PROJECT, "--model", "gemini-2.5-flash"],
            "credentials",
            "no Google credentials found",
            {"value": "google/gemini-2.5-flash", "source": "--model"},  # the target, resolved
        ),
    ],
)
def test_check_as_json_tells_the_truth_whatever_fails(
    args: list[str], step: str, message: str, model: dict[str, str] | None
) -> None:
    result = invoke("check", "--format", "json", *args)
    assert result.exit_code != 0
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert document["problem"]["step"] == step
    assert message in document["problem"]["message"]
    assert document["problem"]["fix"]
    assert document.get("settings", {}).get("model") == model


def test_check_shows_what_it_resolved_before_the_credentials_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "key.json"
    broken.write_text('{"type": "service_account", "client_email": "ci@p.iam.gserviceaccount.com"')
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(broken))
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "europe-west4")
    result = invoke("check", "--project", PROJECT, "--model", "gemini-2.5-flash")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert f"vertex-openai-env: project: {PROJECT} (from --project)" in lines
    assert "vertex-openai-env: location: europe-west4 (from $GOOGLE_CLOUD_LOCATION)" in lines
    assert (
        f"vertex-openai-env: credentials: {broken} (from $GOOGLE_APPLICATION_CREDENTIALS), which cannot be read"
        in lines
    )
    assert lines[-2].startswith("vertex-openai-env: error: credentials file")
    assert "not valid JSON" in lines[-2]


def test_check_as_json(vertex: FakeGoogle) -> None:
    vertex.fail_next(CHAT, vertex_error("permission"))
    result = cli(vertex, "check", "--model", "gemini-2.5-flash", "--probe", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert document["probe"]["status"] == 403
    assert "roles/aiplatform.user" in document["problem"]["fix"]
    assert document["token_prefix"].endswith("…")
    assert document["settings"]["project"] == {"value": PROJECT, "source": "--project"}


def test_user_credentials_from_gcloud_get_the_quota_project_explanation(
    gcloud_login: FakeGoogle,
) -> None:
    google = gcloud_login
    google.fail_next(CHAT, vertex_error("quota_project"))
    result = cli(
        google, "--token-source", "gcloud", "check", "--model", "gemini-2.5-flash", "--probe"
    )
    assert result.exit_code == 1
    assert "user credentials need a quota project here" in result.stderr


def test_a_refused_user_token_names_the_login(gcloud_login: FakeGoogle) -> None:
    gcloud_login.fail_next(CHAT, vertex_error("unauthenticated"))
    result = cli(
        gcloud_login, "--token-source", "gcloud", "check", "--model", "gemini-2.5-flash", "--probe"
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "  fix: gcloud auth application-default login # then run again with --no-cache"
    )


def test_tab_offers_the_endpoint_ids_endpoints_listed(vertex: FakeGoogle) -> None:
    from tests.test_completion import complete

    assert complete(["vertex-openai-env", "--endpoint", ""]) == []
    assert cli(vertex, "endpoints").exit_code == 0
    assert complete(["vertex-openai-env", "--endpoint", "100"]) == [str(1000 + n) for n in range(5)]


@pytest.mark.parametrize("where", ["before", "after"])
def test_endpoints_takes_the_flags_of_an_export(where: str, vertex: FakeGoogle) -> None:
    flags = ["--model", "gemini-2.5-flash", "--min-valid", "10m", "--no-model-var"]
    args = [*flags, "endpoints"] if where == "before" else ["endpoints", *flags]
    result = cli(vertex, *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("ENDPOINT ID")
    assert len(result.stdout.splitlines()) == 6  # every endpoint: --model narrows nothing
