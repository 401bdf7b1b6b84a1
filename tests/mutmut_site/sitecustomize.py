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

if os.environ.get("MUTANT_UNDER_TEST") == "stats":
    if os.environ.get(HITS):
        trampoline = importlib.import_module("mutmut.mutation.trampoline")
        _seen: set[str] = set()
        _file = os.path.join(os.environ[HITS], f"{os.getpid()}.txt")

        def _record(name: str, caller: str | None = None) -> None:
            """Written at once, not at exit: the tool may exec another program or _exit."""
            if name not in _seen:
                _seen.add(name)
                with open(_file, "a", encoding="utf-8") as stream:
                    stream.write(name + "\n")

        vars(trampoline)["record_trampoline_hit"] = _record
    else:
        os.environ["MUTANT_UNDER_TEST"] = ""  # nowhere to report to: the original code
