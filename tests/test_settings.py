"""Where settings come from: precedence, gcloud's files, and hostile values."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.conftest import invoke, require, write_gcloud_config
from tests.fake_google import FakeGoogle
from vertex_openai_env.errors import InputError
from vertex_openai_env.settings import sources
from vertex_openai_env.settings.gcloud_config import GcloudConfig, active_config
from vertex_openai_env.settings.place import Flags, resolve_place
from vertex_openai_env.settings.sources import Sources

PROJECT_SOURCES = [
    ("--project", "proj-flag"),
    ("$VERTEX_OPENAI_ENV_PROJECT", "proj-tool-env"),
    ("$GOOGLE_CLOUD_PROJECT", "proj-google-env"),
    ("$CLOUDSDK_CORE_PROJECT", "proj-cloudsdk-env"),
    ("gcloud config core/project", "proj-gcloud"),
]
LOCATION_SOURCES = [
    ("--location", "us-east1"),
    ("$VERTEX_OPENAI_ENV_LOCATION", "us-east4"),
    ("$GOOGLE_CLOUD_LOCATION", "us-east5"),
    ("$CLOUDSDK_AI_REGION", "us-west1"),
    ("gcloud config ai/region", "us-west2"),
]


def every_source(gcloud: Path) -> tuple[Flags, dict[str, str]]:
    write_gcloud_config(gcloud, {"core": {"project": "proj-gcloud"}, "ai": {"region": "us-west2"}})
    environ = {
        "CLOUDSDK_CONFIG": str(gcloud),
        "VERTEX_OPENAI_ENV_PROJECT": "proj-tool-env",
        "GOOGLE_CLOUD_PROJECT": "proj-google-env",
        "CLOUDSDK_CORE_PROJECT": "proj-cloudsdk-env",
        "VERTEX_OPENAI_ENV_LOCATION": "us-east4",
        "GOOGLE_CLOUD_LOCATION": "us-east5",
        "CLOUDSDK_AI_REGION": "us-west1",
    }
    return Flags(project="proj-flag", location="us-east1", model="gemini-2.5-flash"), environ


def _without(flags: Flags, environ: dict[str, str], gcloud: Path, source: str) -> Flags:
    """Remove one source from the setup built by every_source."""
    if source == "--project":
        return flags._replace(project=None)
    if source == "--location":
        return flags._replace(location=None)
    if source.startswith("$"):
        del environ[source[1:]]
    else:
        config = gcloud / "configurations" / "config_default"
        key = source.rsplit("/", 1)[1]
        config.write_text(
            "".join(line + "\n" for line in config.read_text().splitlines() if key not in line)
        )
    return flags


@pytest.mark.parametrize(
    ("setting", "sources"), [("project", PROJECT_SOURCES), ("location", LOCATION_SOURCES)]
)
def test_each_source_wins_over_the_ones_below_it(
    setting: str, sources: list[tuple[str, str]], tmp_path: Path
) -> None:
    flags, environ = every_source(tmp_path / "gcloud")
    for source, value in sources:
        resolved = getattr(resolve_place(flags, Sources(environ)), setting)
        assert (resolved.value, resolved.source) == (value, source)
        flags = _without(flags, environ, tmp_path / "gcloud", source)


def test_project_falls_back_to_the_credentials_then_fails() -> None:
    settings = resolve_place(Flags(model="gemini-2.5-flash"), Sources({}))
    assert settings.project is None
    filled = settings.destination("proj-of-key")
    assert (filled.project.value, filled.project.source) == ("proj-of-key", "the credentials")
    with pytest.raises(InputError, match="no project") as caught:
        settings.destination(None)
    assert caught.value.fix == "gcloud config set project PROJECT_ID"


def test_models_default_to_global_and_say_so() -> None:
    settings = resolve_place(Flags(project="my-proj", model="gemini-2.5-flash"), Sources({}))
    assert settings.location.value == "global"
    assert any("using 'global'" in note for note in settings.notes)


def test_endpoints_have_no_default_location() -> None:
    with pytest.raises(InputError, match="needs its region"):
        resolve_place(Flags(project="my-proj", endpoint="123"), Sources({}))


def test_target_flags_beat_target_variables() -> None:
    environ = {"VERTEX_OPENAI_ENV_ENDPOINT": "999", "VERTEX_OPENAI_ENV_LOCATION": "us-central1"}
    settings = resolve_place(Flags(project="my-proj", model="gemini-2.5-pro"), Sources(environ))
    assert settings.target.id == "google/gemini-2.5-pro"
    settings = resolve_place(Flags(project="my-proj"), Sources(environ))
    assert (settings.target.kind, settings.target_source) == (
        "endpoint",
        "$VERTEX_OPENAI_ENV_ENDPOINT",
    )


@pytest.mark.parametrize(
    ("flags", "environ", "message"),
    [
        (Flags(model="m", endpoint="1"), {}, "--model and --endpoint exclude each other"),
        (
            Flags(),
            {"VERTEX_OPENAI_ENV_MODEL": "m", "VERTEX_OPENAI_ENV_ENDPOINT": "1"},
            "exclude each other",
        ),
        (Flags(), {}, "no target"),
    ],
)
def test_exactly_one_target(flags: Flags, environ: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        resolve_place(flags, Sources(environ))


def test_empty_variables_count_as_unset() -> None:
    environ = {"GOOGLE_CLOUD_PROJECT": "", "CLOUDSDK_CORE_PROJECT": "proj-cloudsdk"}
    settings = resolve_place(Flags(model="m"), Sources(environ))
    assert settings.project is not None
    assert settings.project.value == "proj-cloudsdk"


def test_active_config_name_comes_from_the_variable_first(tmp_path: Path) -> None:
    gcloud = tmp_path / "gcloud"
    write_gcloud_config(gcloud, {"core": {"project": "proj-work"}}, "work")
    write_gcloud_config(gcloud, {"core": {"project": "proj-home"}}, "home", active=False)
    environ = {"CLOUDSDK_CONFIG": str(gcloud)}
    project = resolve_place(Flags(model="m"), Sources(environ)).project
    assert project is not None
    assert project.value == "proj-work"
    project = resolve_place(
        Flags(model="m"), Sources({**environ, "CLOUDSDK_ACTIVE_CONFIG_NAME": "home"})
    ).project
    assert project is not None
    assert project.value == "proj-home"


def test_a_hostile_configuration_name_is_refused(tmp_path: Path) -> None:
    gcloud = tmp_path / "gcloud"
    gcloud.mkdir()
    (gcloud / "active_config").write_text("../../etc/passwd")
    with pytest.raises(InputError, match="configuration name"):
        resolve_place(Flags(model="m"), Sources({"CLOUDSDK_CONFIG": str(gcloud)}))


def test_a_broken_gcloud_file_is_a_clear_error(tmp_path: Path) -> None:
    gcloud = tmp_path / "gcloud"
    path = write_gcloud_config(gcloud, {})
    path.write_text("project = no section header\n")
    with pytest.raises(InputError, match="cannot read gcloud configuration"):
        resolve_place(Flags(model="m"), Sources({"CLOUDSDK_CONFIG": str(gcloud)}))


def test_we_read_the_same_values_as_the_real_gcloud(tmp_path: Path) -> None:
    gcloud_bin = require("gcloud")
    folder = tmp_path / "gcloud"
    sections = {"core": {"project": "proj-work"}, "ai": {"region": "asia-south1"}}
    write_gcloud_config(folder, sections, "work")
    environ = {"CLOUDSDK_CONFIG": str(folder), "PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    ours = resolve_place(Flags(model="m"), Sources(environ))
    theirs = subprocess.run(
        [gcloud_bin, "config", "list", "--format=value(core.project,ai.region)"],
        capture_output=True,
        text=True,
        env=environ,
        check=True,
        timeout=60,
    ).stdout.split()
    assert ours.project is not None
    assert [ours.project.value, ours.location.value] == theirs


HOSTILE = ["$(touch PWNED)", "`touch PWNED`", "a'b", 'a"b', "a\nb", "a b", "a;touch PWNED", "é"]
BASE_ARGS = {
    "project": ["--project", "my-proj"],
    "location": ["--location", "us-central1"],
    "target": ["--model", "gemini-2.5-flash"],
}
CHANNELS = [
    ("project", "--project"),
    ("project", "$VERTEX_OPENAI_ENV_PROJECT"),
    ("project", "$GOOGLE_CLOUD_PROJECT"),
    ("project", "$CLOUDSDK_CORE_PROJECT"),
    ("project", "gcloud core/project"),
    ("location", "--location"),
    ("location", "$VERTEX_OPENAI_ENV_LOCATION"),
    ("location", "$GOOGLE_CLOUD_LOCATION"),
    ("location", "$CLOUDSDK_AI_REGION"),
    ("location", "gcloud ai/region"),
    ("target", "--model"),
    ("target", "--endpoint"),
    ("target", "$VERTEX_OPENAI_ENV_MODEL"),
    ("target", "$VERTEX_OPENAI_ENV_ENDPOINT"),
    ("api", "--api-endpoint"),
    ("api", "$VERTEX_OPENAI_ENV_API_ENDPOINT"),
]


@pytest.mark.parametrize("payload", HOSTILE)
@pytest.mark.parametrize(("setting", "channel"), CHANNELS)
def test_hostile_values_are_refused_before_anything_runs(
    setting: str, channel: str, payload: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = [arg for name, pair in BASE_ARGS.items() if name != setting for arg in pair]
    if channel.startswith("--"):
        args += [channel, payload]
    elif channel.startswith("$"):
        monkeypatch.setenv(channel[1:], payload)
    else:
        section, key = channel.split()[1].split("/")
        # A newline would end the INI line: the rest of the payload is what gcloud would read.
        value = payload.replace("\n", " ")
        write_gcloud_config(Path(os.environ["CLOUDSDK_CONFIG"]), {section: {key: value}})
    result = invoke(*args)
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) <= 2
    assert "Traceback" not in result.stderr


def test_one_run_reads_gcloud_files_once(
    google: FakeGoogle, service_account: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gcloud = tmp_path / "gcloud"
    sections = {"core": {"project": "proj-gcloud"}, "billing": {"quota_project": "proj-bill"}}
    write_gcloud_config(gcloud, sections)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(gcloud))
    reads: list[Mapping[str, str]] = []

    def counted(environ: Mapping[str, str]) -> GcloudConfig:
        reads.append(environ)
        return active_config(environ)

    monkeypatch.setattr(sources, "active_config", counted)
    result = invoke("--model", "m", "--format", "sh")
    assert result.exit_code == 0
    assert "proj-gcloud" in result.stdout  # the place and the token both looked
    assert len(reads) == 1
