"""A webhook receiver on loopback: records each POST (headers, body) and answers with the
next status of a script (then 200)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    """Names lower-cased."""
    body: bytes


@dataclass
class Receiver:
    url: str
    script: list[int]
    got: list[Received] = field(default_factory=list)


@contextmanager
def receiver(*script: int) -> Iterator[Receiver]:
    state = Receiver("", list(script))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length", "0"))
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.got.append(Received(headers, self.rfile.read(length)))
            status = state.script.pop(0) if state.script else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
