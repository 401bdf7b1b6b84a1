"""Host rules, identifier rules and base-URL building."""

from __future__ import annotations

import pytest

from vertex_openai_env.errors import InputError
from vertex_openai_env.settings import regions, urls
from vertex_openai_env.settings.models import check_model
from vertex_openai_env.settings.place import Flags, resolve_place
from vertex_openai_env.settings.sources import Sources
from vertex_openai_env.settings.urls import Target

MODEL = Target("model", "google/gemini-2.5-flash")
ENDPOINT = Target("endpoint", "1234567890123456789")


@pytest.mark.parametrize(
    ("location", "host"),
    [
        ("global", "aiplatform.googleapis.com"),
        ("us", "aiplatform.us.rep.googleapis.com"),
        ("eu", "aiplatform.eu.rep.googleapis.com"),
        ("us-central1", "us-central1-aiplatform.googleapis.com"),
        ("europe-west4", "europe-west4-aiplatform.googleapis.com"),
        ("northamerica-northeast2", "northamerica-northeast2-aiplatform.googleapis.com"),
    ],
)
def test_host_follows_the_location(location: str, host: str) -> None:
    assert urls.default_host(location) == host


def test_global_never_gets_a_region_prefix() -> None:
    url = urls.base_url("my-proj", "global", MODEL)
    assert url.startswith("https://aiplatform.googleapis.com/")
    assert "global-aiplatform" not in url


def test_managed_models_share_the_openapi_endpoint() -> None:
    assert urls.base_url("my-proj", "us-central1", MODEL) == (
        "https://us-central1-aiplatform.googleapis.com/v1beta1/projects/my-proj"
        "/locations/us-central1/endpoints/openapi"
    )


def test_deployed_endpoints_use_their_id_and_the_chosen_version() -> None:
    assert urls.base_url("my-proj", "europe-west4", ENDPOINT, "v1") == (
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/my-proj"
        "/locations/europe-west4/endpoints/1234567890123456789"
    )


def test_api_root_replaces_the_host_but_keeps_the_path() -> None:
    url = urls.base_url("p-roject", "us", MODEL, "v1", "http://127.0.0.1:9000/proxy")
    assert url == "http://127.0.0.1:9000/proxy/v1/projects/p-roject/locations/us/endpoints/openapi"


@pytest.mark.parametrize(
    ("given", "root"),
    [
        ("example.com", "https://example.com"),
        ("example.com:8443", "https://example.com:8443"),
        ("https://psc.example.com/", "https://psc.example.com"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://127.0.0.1:9/a/b/", "http://127.0.0.1:9/a/b"),
        ("http://[::1]:9", "http://[::1]:9"),
        ("us-central1-aiplatform.googleapis.com", "https://us-central1-aiplatform.googleapis.com"),
    ],
)
def test_api_endpoint_accepts_hosts_and_urls(given: str, root: str) -> None:
    assert urls.api_root(given) == root


@pytest.mark.parametrize(
    "given",
    [
        "",
        "ftp://example.com",
        "https://user:pw@example.com",
        "https://example.com/?q=1",
        "https://example.com/#frag",
        "https://exa mple.com",
        "https://example.com\n.evil",
        "https://example.com/$(id)",
        "https://example.com:99999",
        "https://-bad-.com",
        "example.com/`id`",
    ],
)
def test_api_endpoint_rejects_anything_else(given: str) -> None:
    with pytest.raises(InputError, match="API endpoint"):
        urls.api_root(given)


@pytest.mark.parametrize(
    "url",
    [
        "http://proxy.example.com:8080",
        "http://10.1.2.3:8080",  # private, not loopback: the token would cross a network
        "http://192.168.1.10",
        "http://172.16.0.1",
        "http://169.254.169.254",
        "http://[fd00::1]:8080",
        "http://0.0.0.0:8080",
        "http://localhost.example.com",
        "http://127.example.com",
    ],
)
def test_plain_http_is_refused_for_other_than_loopback(url: str) -> None:
    with pytest.raises(InputError, match="refusing to send an access token over plain http"):
        urls.api_root(url)
    assert urls.api_root(url.replace("http://", "https://")).startswith("https://")


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8080",
        "http://LocalHost",
        "http://127.0.0.1",
        "http://127.9.9.9:1",
        "http://[::1]",
    ],
)
def test_plain_http_is_allowed_for_loopback(url: str) -> None:
    assert urls.api_root(url) == url.lower()


@pytest.mark.parametrize(
    ("given", "root"),
    [
        ("http://127.0.0.1:9/a.b/c_d/e~f/g-h/", "http://127.0.0.1:9/a.b/c_d/e~f/g-h"),
        ("example.com:443", "https://example.com:443"),
        ("https://EXAMPLE.com", "https://example.com"),
        ("[2001:db8::1]:8443", "https://[2001:db8::1]:8443"),
        ("a-b.c-d.example", "https://a-b.c-d.example"),
        ("https://example.com:0", "https://example.com:0"),
    ],
)
def test_api_endpoint_keeps_what_it_is_given(given: str, root: str) -> None:
    assert urls.api_root(given) == root


@pytest.mark.parametrize(
    "given",
    [
        "https://example.com/a:b",  # allowed in a host:port, not in the path
        "https://example.com/a[b]",
        "https://example.com//a",
        "https://[example.com]",
        "https://:8443",
        "https://example..com",
        "https://example.com-",
        "http://[::1",
        "mailto:user",
        "https:/example.com",
    ],
)
def test_api_endpoint_refuses_what_only_the_url_parser_would_notice(given: str) -> None:
    with pytest.raises(InputError, match="is not a host name or an http\\(s\\) URL"):
        urls.api_root(given)


@pytest.mark.parametrize(
    "project",
    ["my-proj", "abcdef", "a" * 30, "a1-2-3-4", "example.com:my-project", "123456789012"],
)
def test_valid_projects(project: str) -> None:
    assert urls.check_project(project) == project


@pytest.mark.parametrize(
    "project",
    [
        "abcde",
        "a" * 31,
        "My-Proj",
        "1project",
        "my-proj-",
        "my_proj",
        "my proj",
        "my-proj\n",
        "'; rm -rf ~",
        "$(id)",
        ":my-project",
        "0123",
    ],
)
def test_invalid_projects(project: str) -> None:
    with pytest.raises(InputError, match="not a Google Cloud project ID"):
        urls.check_project(project)


@pytest.mark.parametrize(
    "location", ["global", "us", "eu", "us-central1", "me-central2", "us-new9"]
)
def test_well_formed_locations_are_accepted_even_unknown_ones(location: str) -> None:
    assert urls.check_location(location) == location


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [
        ("us-central", "us-central1"),
        ("us_central1", "us-central1"),
        ("US-CENTRAL1", "us-central1"),
        ("Global", "global"),
        ("europe-west", "europe-west1"),
        ("asia-northeast", "asia-northeast1"),
    ],
)
def test_near_misses_get_a_did_you_mean(typo: str, suggestion: str) -> None:
    with pytest.raises(InputError, match=f"did you mean '{suggestion}'"):
        urls.check_location(typo)


def test_hopeless_locations_list_the_kinds_of_location() -> None:
    with pytest.raises(InputError, match="global, us, eu or a region") as caught:
        urls.check_location("$(reboot)")
    assert "did you mean" not in caught.value.message


def test_unknown_but_well_formed_region_gets_a_note_not_an_error() -> None:
    assert regions.unknown_region_note("us-central1") is None
    assert "did you mean 'us-central1'" in (regions.unknown_region_note("us-centrall1") or "")
    assert "may be new" in (regions.unknown_region_note("mars-north1") or "")


@pytest.mark.parametrize(
    ("model", "normalised"),
    [
        ("gemini-2.5-flash", "google/gemini-2.5-flash"),
        ("google/gemini-2.5-pro", "google/gemini-2.5-pro"),
        (
            "meta/llama-4-maverick-17b-128e-instruct-maas",
            "meta/llama-4-maverick-17b-128e-instruct-maas",
        ),
        ("gemini-2.0-flash-001", "google/gemini-2.0-flash-001"),
        ("claude-3-5-sonnet@20240620", "claude-3-5-sonnet@20240620"),
        ("Qwen2.5_7B", "Qwen2.5_7B"),
    ],
)
def test_models_are_normalised(model: str, normalised: str) -> None:
    assert check_model(model) == normalised


@pytest.mark.parametrize(
    "model",
    [
        "",
        "a/b/c",
        "/gemini",
        "gemini/",
        "-gemini",
        "gemini 2",
        "gem'ini",
        "gemini\n",
        "$(x)",
        "a" * 129,
    ],
)
def test_invalid_models(model: str) -> None:
    with pytest.raises(InputError, match="not a model ID"):
        check_model(model)


@pytest.mark.parametrize("endpoint", ["1", "1234567890123456789", "my-endpoint", "e" + "x" * 62])
def test_valid_endpoint_ids(endpoint: str) -> None:
    assert urls.check_endpoint_id(endpoint) == endpoint


@pytest.mark.parametrize(
    "endpoint",
    [
        "",
        "12345678901234567890",
        "My-Endpoint",
        "1endpoint-a",
        "e" + "x" * 63,
        "a_b",
        "1;id",
        "a\n",
    ],
)
def test_invalid_endpoint_ids(endpoint: str) -> None:
    with pytest.raises(InputError, match="not a Vertex endpoint ID"):
        urls.check_endpoint_id(endpoint)


@pytest.mark.parametrize("location", ["global", "us", "eu"])
def test_endpoints_need_a_region(location: str) -> None:
    with pytest.raises(InputError, match=f"endpoints live in a region, not in '{location}'"):
        urls.check_regional(location)
    urls.check_regional("us-central1")


@pytest.mark.parametrize(
    ("given", "model", "note"),
    [
        ("publishers/google/models/gemini-2.5-flash", "google/gemini-2.5-flash", "understood"),
        (
            "Gemini-2.5-Flash",
            "Gemini-2.5-Flash",
            "model IDs are lowercase: did you mean gemini-2.5-flash?",
        ),
        ("gpt-4o", "gpt-4o", "gpt-4o is an OpenAI model: Vertex AI serves Google's"),
        ("o3-mini", "o3-mini", "is an OpenAI model"),
        ("gemini-9.9-future", "google/gemini-9.9-future", None),
        (
            "meta/llama-4-maverick-17b-128e-instruct-maas",
            "meta/llama-4-maverick-17b-128e-instruct-maas",
            None,
        ),
        ("openai/gpt-oss-20b-maas", "openai/gpt-oss-20b-maas", None),  # OpenAI's, on Vertex
    ],
)
def test_model_ids_are_never_refused_only_noted(given: str, model: str, note: str | None) -> None:
    place = resolve_place(Flags(project="my-proj", model=given), Sources({}))
    assert place.target.id == model
    notes = " ".join(place.notes)
    assert (note in notes) if note else "model" not in notes


ENDPOINTS_FIX = "vertex-openai-env endpoints --location REGION  # lists a region's endpoints"


def test_refusals_say_what_a_valid_value_looks_like_and_what_to_run() -> None:
    with pytest.raises(InputError) as caught:
        urls.check_endpoint_id("My-Endpoint")
    assert caught.value.message == (
        'endpoint "My-Endpoint" is not a Vertex endpoint ID (digits, or up to 63 lowercase '
        "letters, digits and hyphens starting with a letter)"
    )
    assert caught.value.fix == ENDPOINTS_FIX
    with pytest.raises(InputError) as caught:
        urls.check_api_version("v2")
    assert caught.value.message == 'API version "v2" is not one of v1beta1, v1'
    with pytest.raises(InputError) as caught:
        urls.check_project("My-Proj")
    assert caught.value.fix == "gcloud projects list"


def test_a_defaulted_location_says_so_and_names_the_option_to_pass() -> None:
    with pytest.raises(InputError) as caught:
        urls.check_regional("global")
    assert caught.value.message == (
        "endpoints live in a region, not in 'global': pass --location REGION"
    )
    assert caught.value.fix == ENDPOINTS_FIX
    with pytest.raises(InputError) as caught:
        urls.check_regional("us", "location=", defaulted=True)
    assert caught.value.message == (
        "endpoints live in a region, not in 'us' (no location given): pass location= REGION"
    )


def test_api_endpoint_refusals_say_what_is_wanted() -> None:
    with pytest.raises(InputError) as caught:
        urls.api_root("ftp://example.com")
    assert caught.value.message == (
        'API endpoint "ftp://example.com" is not a host name or an http(s) URL (such as '
        "us-central1-aiplatform.googleapis.com or https://proxy.example:8443)"
    )
    with pytest.raises(InputError) as caught:
        urls.api_root("http://10.0.0.1")
    assert caught.value.message == (
        'refusing to send an access token over plain http to "10.0.0.1"; use an https URL '
        "(plain http is allowed for loopback only)"
    )


def test_only_slashes_are_taken_off_the_end_of_the_path() -> None:
    assert urls.api_root("https://example.com/BOX/") == "https://example.com/BOX"
