"""A pytest plugin for `make mutants`. The functions that the processes a test started or
forked reached (see sitecustomize) count as reached by that test, so mutmut runs it on
their mutants. And each mutant meets its fastest tests first."""

from __future__ import annotations

import importlib
import os
import tempfile
from pathlib import Path

import pytest

HITS = "MUTMUT_SUBPROCESS_HITS"  # where sitecustomize writes, in each process it starts


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("MUTANT_UNDER_TEST") == "stats":
        os.environ[HITS] = tempfile.mkdtemp(prefix="mutmut-hits-")
        os.chmod(os.environ[HITS], 0o1777)  # noqa: S103 - a child as another user writes too
        # A test's forked child (as another user, say) counts through a file too.
        site = importlib.import_module("sitecustomize")
        os.register_at_fork(after_in_child=site.report_hits_to_file)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Before mutmut's own teardown hook files this test's hits."""
    folder = os.environ.get(HITS)
    if not folder or os.environ.get("MUTANT_UNDER_TEST") != "stats":
        return
    state = importlib.import_module("mutmut.state").state
    for path in Path(folder).iterdir():
        state()._stats.update(path.read_text(encoding="utf-8").split())
        path.unlink()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Fastest first, by the times mutmut measured: a mutant is killed by the first test
    that fails (mutmut stops there), and most are killed by a quick one."""
    if os.environ.get("MUTANT_UNDER_TEST") in (None, "", "stats"):
        return
    durations = importlib.import_module("mutmut.state").state().duration_by_test
    items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))
