"""How each non-shell consumer reads a file of variables, written from its documented rules.

Where the consumer itself can run here (python-dotenv, bash, dash, zsh, fish) the tests use
it instead; these stand in for docker, GitLab, the GitHub runner, PowerShell and cmd.
"""

from __future__ import annotations

import re

# PowerShell's tokenizer takes each of these as a single quote (CharExtensions.IsSingleQuote).
_PS_QUOTES = {
    "\N{APOSTROPHE}",
    "\N{LEFT SINGLE QUOTATION MARK}",
    "\N{RIGHT SINGLE QUOTATION MARK}",
    "\N{SINGLE LOW-9 QUOTATION MARK}",
    "\N{SINGLE HIGH-REVERSED-9 QUOTATION MARK}",
}


def docker_env_file(text: str) -> dict[str, str]:
    """`docker run --env-file`: lines split on LF (a trailing CR dropped), leading blanks
    trimmed, `#` lines and blank lines skipped, NAME=VALUE split at the first `=`, the
    value kept exactly (quotes and trailing blanks included)."""
    values = {}
    for raw in text.split("\n"):
        line = raw.removesuffix("\r").lstrip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        values[name] = value
    return values


def gitlab_dotenv(text: str) -> dict[str, str]:
    """GitLab's dotenv report: every line is `(.*?)=(.*)`, both parts stripped, quotes kept;
    $VARIABLES in a value are expanded later, so a value holding `$` is not read back."""
    values = {}
    for line in text.removesuffix("\n").split("\n"):
        match = re.fullmatch(r"(.*?)=(.*)", line, re.DOTALL)
        assert match, f"GitLab rejects the line {line!r}"
        name, value = (part.strip(" \t\n\v\f\r\0") for part in match.groups())
        assert "$" not in value, "GitLab would expand this value"
        values[name] = value
    return values


def github_env_file(text: str) -> dict[str, str]:
    """The Actions runner's $GITHUB_ENV parser (Linux): NAME=VALUE lines, or NAME<<DELIM, then
    the value's lines, then a line equal to DELIM; the value excludes the LF before it."""
    values = {}
    lines = text.split("\n")
    assert lines.pop() == "", "the file must end with a newline"
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            name, value = line.split("=", 1)
        else:
            name, delimiter = line.split("<<", 1)
            assert name, line
            assert delimiter, line
            end = lines.index(delimiter, index)
            value = "\n".join(lines[index:end])
            index = end + 1
        values[name] = value
    return values


def powershell_assignments(text: str) -> dict[str, str]:
    """`$Env:NAME = '...'` lines: inside single quotes (any of PowerShell's five quote
    characters) the only escape is a doubled quote, which stands for the second one."""
    values = {}
    for line in text.removesuffix("\n").split("\n"):
        match = re.fullmatch(r"\$Env:(\w+) = (.*)", line, re.DOTALL)
        assert match, line
        name, quoted = match.groups()
        assert quoted[0] in _PS_QUOTES
        value, index = [], 1
        while True:
            char = quoted[index]
            if char in _PS_QUOTES:
                if index + 1 < len(quoted) and quoted[index + 1] in _PS_QUOTES:
                    value.append(quoted[index + 1])
                    index += 2
                    continue
                assert index == len(quoted) - 1, "text after the closing quote"
                break
            value.append(char)
            index += 1
        values[name] = "".join(value)
    return values


def cmd_assignments(text: str) -> dict[str, str]:
    """`set "NAME=value"` lines: everything between the first `=` and the last quote, provided
    nothing in it would be expanded (% and !) or end the quotes early (")."""
    values = {}
    for line in text.removesuffix("\n").split("\n"):
        match = re.fullmatch(r'set "(\w+)=(.*)"', line, re.DOTALL)
        assert match, line
        name, value = match.groups()
        assert not set(value) & set('"%!'), "cmd would change this value"
        values[name] = value
    return values


def powershell_session(text: str, environ: dict[str, str]) -> dict[str, str]:
    """The environment after `text` is piped line by line into Invoke-Expression: the
    assignments as above, and `Remove-Item Env:NAME`, which removes NAME. Remove-Item of any
    other path deletes a file; of a variable not set, it prints an error unless told
    `-ErrorAction SilentlyContinue`."""
    environ = dict(environ)
    for line in text.removesuffix("\n").split("\n"):
        removal = re.fullmatch(r"Remove-Item (\S+)((?: -ErrorAction SilentlyContinue)?)", line)
        if removal is None:
            environ.update(powershell_assignments(line))
            continue
        path, quiet = removal.groups()
        assert path.startswith("Env:"), f"Remove-Item {path} deletes a file, not a variable"
        name = path.removeprefix("Env:")
        assert name in environ or quiet, f"PowerShell prints an error: {name} is not set"
        environ.pop(name, None)
    return environ


def cmd_session(text: str, environ: dict[str, str]) -> dict[str, str]:
    """The environment after cmd runs the `set "NAME=value"` lines of `text`: an empty
    value removes NAME (cmd has no empty variables)."""
    environ = dict(environ)
    for line in text.removesuffix("\n").split("\n"):
        for name, value in cmd_assignments(line).items():
            environ[name] = value
            if not value:
                del environ[name]
    return environ
