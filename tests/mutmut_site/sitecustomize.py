"""Loaded by every Python process that `make mutants` starts (the folder is on PYTHONPATH).

The tests run the tool as real processes, which import the mutated copy in mutants/src and
follow MUTANT_UNDER_TEST like the test process does. While mutmut counts which tests reach
which functions ("stats"), a child process cannot use mutmut's own counting (it reads its
settings from the working folder): it writes the functions it reaches to a file of its own
instead, which `mutmut_subprocess_hits` adds to the test that started it.
"""

import importlib
import os

HITS = "MUTMUT_SUBPROCESS_HITS"


def report_hits_to_file() -> None:
    """In this process, count the functions reached into a file of its own (when counting)."""
    if os.environ.get("MUTANT_UNDER_TEST") != "stats" or not os.environ.get(HITS):
        return
    trampoline = importlib.import_module("mutmut.mutation.trampoline")
    seen: set[str] = set()
    path = os.path.join(os.environ[HITS], f"{os.getpid()}.txt")

    def record(name: str, caller: str | None = None) -> None:
        """Written at once, not at exit: the tool may exec another program or _exit."""
        if name not in seen:
            seen.add(name)
            with open(path, "a", encoding="utf-8") as stream:
                stream.write(name + "\n")

    vars(trampoline)["record_trampoline_hit"] = record


if os.environ.get("MUTANT_UNDER_TEST") == "stats":
    if os.environ.get(HITS):
        report_hits_to_file()
    else:
        os.environ["MUTANT_UNDER_TEST"] = ""  # nowhere to report to: the original code
