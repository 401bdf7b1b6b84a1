"""Who holds a TCP port, where the system says: on Linux, /proc/net/tcp names the user whose
socket listens on it, and /proc/PID/fd the process (when it is ours to look at).

Elsewhere, or when /proc cannot be read, nothing is said: the caller's message stands alone.
"""

from __future__ import annotations

import os
from pathlib import Path

LISTEN = "0A"  # the socket state /proc/net/tcp gives a listening socket


def holder(port: int, proc: Path = Path("/proc")) -> str | None:
    """Who listens on `port` ("pid 1234 (python3), user bob"), or None when unknown."""
    found = _listening(port, proc)
    if found is None:
        return None
    uid, inode = found
    user = _user(uid)
    pid = _pid_of(inode, proc)
    if pid is None:
        return user
    try:
        name = (proc / str(pid) / "comm").read_text().strip()[:40]
    except OSError:
        name = "?"
    return f"pid {pid} ({name}), {user}"


def someone_else(port: int, proc: Path = Path("/proc")) -> bool:
    """Whether another user's socket listens on `port` (False when unknown)."""
    found = _listening(port, proc)
    return found is not None and hasattr(os, "geteuid") and found[0] != os.geteuid()


def _listening(port: int, proc: Path) -> tuple[int, str] | None:
    """(uid, socket inode) of the socket listening on `port`, from /proc/net/tcp{,6}."""
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != LISTEN:
                continue
            _, _, hex_port = fields[1].rpartition(":")
            try:
                if int(hex_port, 16) == port:
                    return int(fields[7]), fields[9]
            except ValueError:
                continue
    return None


def _pid_of(inode: str, proc: Path) -> int | None:
    """The process holding socket `inode`, among those whose descriptors we may read."""
    wanted = f"socket:[{inode}]"
    try:
        pids = [entry for entry in os.listdir(proc) if entry.isdigit()]
    except OSError:
        return None
    for pid in pids:
        folder = proc / pid / "fd"
        try:
            fds = os.listdir(folder)
        except OSError:
            continue  # another user's, or gone
        for fd in fds:
            try:
                if os.readlink(folder / fd) == wanted:
                    return int(pid)
            except OSError:
                continue
    return None


def _user(uid: int) -> str:
    """`user NAME`, or `uid N` when the user has no name here."""
    try:
        import pwd

        return f"user {pwd.getpwuid(uid).pw_name}"
    except (ImportError, KeyError):
        return f"uid {uid}"
