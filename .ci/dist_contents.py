"""`make dist`: what twine does not check in the files an index would get.

The wheel and the sdist carry the licence; the wheel's metadata names it, declares every
import of the package (cryptography among them) and publishes no extra but `serve` (the
tools of development are dependency groups); the sdist ships no tests, which need a clone.
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path


def main(folder: Path) -> None:
    (wheel,) = folder.glob("*.whl")
    (sdist,) = folder.glob("*.tar.gz")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata,) = [name for name in names if name.endswith(".dist-info/METADATA")]
        meta = Parser().parsestr(archive.read(metadata).decode())
    problems = []
    if not any(name.endswith(".dist-info/licenses/LICENSE") for name in names):
        problems.append(f"{wheel.name} holds no LICENSE")
    if meta["License-Expression"] != "Apache-2.0":
        problems.append(f"License-Expression is {meta['License-Expression']!r}")
    if meta.get_all("Provides-Extra") != ["serve"]:
        problems.append(f"published extras: {meta.get_all('Provides-Extra')}")
    required = " ".join(meta.get_all("Requires-Dist") or [])
    for needed in ("click", "google-auth", "python-dotenv", "cryptography"):
        if needed not in required:
            problems.append(f"{needed} is not required")
    with tarfile.open(sdist) as archive:
        members = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
    if "LICENSE" not in members:
        problems.append(f"{sdist.name} holds no LICENSE")
    if any(name.startswith("tests/") for name in members):
        problems.append(f"{sdist.name} ships tests without what they need")
    for problem in problems:
        print(f"dist: {problem}", file=sys.stderr)
    if problems:
        raise SystemExit(1)
    print(f"dist: {wheel.name} and {sdist.name} carry the licence, the dependencies, no tests")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
