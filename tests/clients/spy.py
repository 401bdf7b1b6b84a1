"""An outbound spy: whatever a recipe's programs try to reach beyond loopback, recorded and
refused, so that a test can prove that no token or local key left the machine.

- Python clients honour HTTP_PROXY / HTTPS_PROXY: those point at a loopback proxy that
  records the host of each CONNECT or absolute-form request and answers 403.
- Node's fetch and http ignore proxy variables: `node/spy.cjs`, preloaded into every node
  process through NODE_OPTIONS, records and refuses each connection beyond loopback
  (npm's own process excepted: it fetches packages, before any `eval`).
"""

from __future__ import annotations

import threading
from pathlib import Path
from socketserver import StreamRequestHandler, ThreadingTCPServer
from urllib.parse import urlsplit

PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
LOOPBACK = "127.0.0.1,localhost,::1"
NODE_SPY = Path(__file__).parent / "node" / "spy.cjs"
_REFUSED = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class Spy:
    """`with Spy(log) as spy:` listens on loopback; `spy.env()` points programs at it, and
    `spy.hosts()` is every `host:port` they asked for, through the proxy or from node."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self._asked: list[str] = []
        self._server: ThreadingTCPServer | None = None

    def __enter__(self) -> Spy:
        asked = self._asked

        class Handler(StreamRequestHandler):
            def handle(self) -> None:
                line = self.rfile.readline(65536).decode("latin-1").split()
                if len(line) == 3:
                    method, target, _ = line
                    # CONNECT names host:port; a plain request, its absolute URL.
                    asked.append(target if method == "CONNECT" else urlsplit(target).netloc)
                self.wfile.write(_REFUSED)

        self._server = ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def env(self) -> dict[str, str]:
        """The variables that send a recipe's programs through the spy."""
        proxies = dict.fromkeys(PROXIES, self.url)
        return {
            **proxies,
            **{name.lower(): value for name, value in proxies.items()},
            "NO_PROXY": LOOPBACK,
            "no_proxy": LOOPBACK,
            "NODE_OPTIONS": f"--require {NODE_SPY}",
            "VOE_SPY_LOG": str(self.log),
        }

    def hosts(self) -> list[str]:
        """Every `host:port` asked for so far, the proxy's first, then node's."""
        from_node = self.log.read_text().split() if self.log.exists() else []
        return [*self._asked, *from_node]
