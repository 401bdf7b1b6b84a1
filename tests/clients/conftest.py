"""Fixtures for running README recipes: a lab folder with a sealed environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clients.recipes import QUOTA_PROJECT, Lab, offline_env
from tests.clients.spy import Spy
from tests.conftest import use_service_account
from tests.fake_google import FakeGoogle


@pytest.fixture
def lab(
    google: FakeGoogle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, npm_cache: Path
) -> Iterator[Lab]:
    """Credentials with a quota project, an empty folder to run a recipe in, and a spy on
    every connection beyond loopback."""
    use_service_account(google, tmp_path, monkeypatch, quota_project_id=QUOTA_PROJECT)
    folder = tmp_path / "lab"
    folder.mkdir()
    google.stream_gap = 0  # clients that stream get the stand-in's chunks without a wait
    with Spy(tmp_path / "spy.log") as spy:
        env = {**offline_env(google, spy), "npm_config_cache": str(npm_cache)}
        yield Lab(google, folder, env, spy)
