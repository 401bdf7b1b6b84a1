"""Per-module figures from `mutmut results --all true` (on stdin), for `make mutants`.

Killed counts a mutant that a test failed on or that ran out of time; every other mutant
that was tried (survived, no tests, suspicious) counts against. Not tried: left out.
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict

KILLED = {"killed", "timeout", "caught by type check"}
NOT_TRIED = {"not checked", "skipped"}


def main() -> None:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for line in sys.stdin:
        match = re.fullmatch(r"\s*(\S+?)\.x[_ǁ]\S*__mutmut_\d+: (.+)", line.rstrip("\n"))
        if match and match.group(2) not in NOT_TRIED:
            module, status = match.groups()
            counts[module]["killed" if status in KILLED else status] += 1
    total: Counter[str] = Counter()
    for module in sorted(counts):
        total.update(counts[module])
        print(_row(module, counts[module]))
    print(_row("all", total))


def _row(name: str, counts: Counter[str]) -> str:
    tried = sum(counts.values())
    rest = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()) if status != "killed")
    share = 100 * counts["killed"] / tried if tried else 0.0
    return f"{name:48} {counts['killed']:5}/{tried:<5} killed {share:5.1f}%  {rest}"


if __name__ == "__main__":
    main()
