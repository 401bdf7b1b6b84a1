"""Folders other users share: planted files, links at every level, locks held against us.

These came from an attacker's review; each failed before the fix it names. The victim is
root (CI runs as root) or a user of ours; the attacker another user.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import NOBODY, as_other_user, run, use_service_account
from tests.fake_google import FakeGoogle
from tests.other_users import TEAM, VICTIM, as_user, cli

ARGS = ("--project", "my-proj", "--location", "us-central1", "--model", "m")
NO_CACHE = (*ARGS, "--no-cache")
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="needs root, to act as two users")


@ROOT_ONLY
def test_root_does_not_write_its_token_into_a_file_another_user_planted(
    google: FakeGoogle, service_account: Path, shared_tmp: Path
) -> None:
    shared_tmp.chmod(0o1777)
    target = shared_tmp / ".env"

    def plant() -> str:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, b"# my project settings\n")
        os.close(fd)
        return "planted"

    assert as_other_user(plant) == "planted"
    result = run(*ARGS, "--env-file", str(target))
    assert result.returncode == 1
    assert "belongs to another user (uid 65534) who can write its folder" in result.stderr
    assert as_other_user(target.read_text) == "# my project settings\n"


@ROOT_ONLY
def test_root_does_not_follow_another_users_link_into_a_root_file(
    google: FakeGoogle, service_account: Path, shared_tmp: Path
) -> None:
    shared_tmp.chmod(0o1777)  # stands for /tmp
    etc_environment = shared_tmp / "environment"  # stands for /etc/environment
    etc_environment.write_text('PATH="/usr/bin"\n')
    etc_environment.chmod(0o644)
    proj = shared_tmp / "proj"

    def plant() -> str:
        proj.mkdir(mode=0o755)  # the attacker's own folder: no sticky bit to protect anyone
        (proj / ".env").symlink_to(etc_environment)
        return "planted"

    assert as_other_user(plant) == "planted"
    result = run(*ARGS, "--env-file", str(proj / ".env"))
    assert result.returncode == 1
    assert f"refusing to follow the link {proj / '.env'} -> {etc_environment}" in result.stderr
    assert etc_environment.read_text() == 'PATH="/usr/bin"\n'


@pytest.fixture
def victims_profile(google: FakeGoogle, shared_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The victim (a user of ours), with credentials and a ~/.profile others may read."""
    use_service_account(google, shared_tmp, monkeypatch).chmod(0o644)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(shared_tmp / "gcloud"))
    home = shared_tmp / "home"
    home.mkdir()
    os.chown(home, VICTIM, VICTIM)
    profile = home / ".profile"
    profile.write_text("# ~/.profile\n")
    os.chown(profile, VICTIM, VICTIM)
    profile.chmod(0o644)
    return profile


@ROOT_ONLY
def test_a_teammates_link_in_a_group_folder_is_not_followed(
    victims_profile: Path, shared_tmp: Path
) -> None:
    team = shared_tmp / "team"  # the usual shared project folder: setgid, group-writable
    team.mkdir()
    os.chown(team, 0, TEAM)
    team.chmod(0o2775)

    def plant() -> str:
        (team / ".env").symlink_to(victims_profile)
        return "planted"

    assert as_user(NOBODY, [TEAM], plant) == "planted"
    said = as_user(VICTIM, [TEAM], cli(*NO_CACHE, "--env-file", str(team / ".env")))
    assert "refusing to follow the link" in said
    assert as_user(NOBODY, [TEAM], victims_profile.read_text) == "# ~/.profile\n"


@ROOT_ONLY
def test_another_users_link_as_a_folder_in_a_sticky_folder_is_not_followed(
    victims_profile: Path, shared_tmp: Path
) -> None:
    sticky = shared_tmp / "tmp"
    sticky.mkdir()
    sticky.chmod(0o1777)
    lair = shared_tmp / "lair"  # the attacker's own folder
    lair.mkdir(mode=0o755)
    os.chown(lair, NOBODY, NOBODY)

    def plant() -> str:
        (lair / ".env").symlink_to(victims_profile)
        (sticky / "proj").symlink_to(lair)  # the victim will use /tmp/proj/.env
        return "planted"

    assert as_user(NOBODY, [NOBODY], plant) == "planted"
    said = as_user(VICTIM, [VICTIM], cli(*NO_CACHE, "--env-file", str(sticky / "proj" / ".env")))
    assert f"refusing to follow the link {sticky / 'proj'} -> {lair}" in said
    assert as_user(NOBODY, [NOBODY], victims_profile.read_text) == "# ~/.profile\n"


def test_a_lock_held_by_another_user_cannot_hold_a_write_past_the_deadline(
    google: FakeGoogle, service_account: Path, shared_tmp: Path
) -> None:
    shared_tmp.chmod(0o1777)  # a sticky, world-writable folder: /tmp and its kind
    # The attacker: another user, holding a shared lock on the folder, doing nothing.
    attacker = subprocess.Popen(
        ["flock", "--shared", str(shared_tmp), "sleep", "60"],
        user=NOBODY if os.geteuid() == 0 else None,
        group=NOBODY if os.geteuid() == 0 else None,
        extra_groups=[] if os.geteuid() == 0 else None,
    )
    try:
        time.sleep(0.5)
        command = [sys.executable, "-m", "vertex_openai_env", *ARGS, "--timeout", "2",
                   "--env-file", str(shared_tmp / ".env")]  # fmt: skip
        started = time.monotonic()
        try:
            subprocess.run(command, capture_output=True, timeout=15)
            took = time.monotonic() - started
        except subprocess.TimeoutExpired:
            took = float("inf")
    finally:
        attacker.kill()
        attacker.wait()
    assert took < 5, f"--timeout 2 still waiting after {took:.0f}s: the folder lock has no deadline"
