"""Where the gateway listens, and the address its clients are given; with `serve`'s defaults,
which its --help shows without importing aiohttp."""

from __future__ import annotations

import ipaddress

from ..errors import InputError, shown

LOOPBACK = "127.0.0.1"  # where the gateway listens unless told otherwise
READ_TIMEOUT = 600.0  # seconds: Vertex may think that long before the first byte of an answer


def checked_bind(value: str) -> str:
    """An IP address to listen on (`localhost` is 127.0.0.1), or InputError."""
    if value == "localhost":
        return LOOPBACK
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise InputError(
            f"--bind {shown(value)} is not an IP address of this machine "
            "(such as 127.0.0.1, or 172.17.0.1 for docker's bridge)"
        ) from None


def exposed(bind: str) -> bool:
    """Whether others than this machine's own processes may reach `bind`."""
    return not ipaddress.ip_address(bind).is_loopback


def client_host(bind: str) -> str:
    """The host clients use in the URL: the loopback one for a wildcard bind."""
    address = ipaddress.ip_address(bind)
    if address.is_unspecified:
        return LOOPBACK if address.version == 4 else "[::1]"
    return f"[{address}]" if address.version == 6 else str(address)
