"""The explorer's local web server (`papcheck explore SPEC`), on the standard library's http.server.

It serves one spec and nothing else: the page and its script and style (package data in
``static/``), ``/api/spec`` (the spec's source, properties and counterexample path) and
``/api/state?path=3.0.2`` (:meth:`.explorer.Explorer.view`).  The browser sends only a path of
choice numbers; no file name, expression or code is taken from it, and only GET and HEAD are
answered.  It binds to 127.0.0.1 unless told otherwise (the CLI warns then).  The caller runs
:meth:`ExplorerServer.serve_forever` and stops it with :meth:`shutdown` (the CLI on Ctrl-C).
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .explorer import Explorer, PathError, parse_path

_STATIC = {"/": ("index.html", "text/html; charset=utf-8"),
           "/app.js": ("app.js", "text/javascript; charset=utf-8"),
           "/app.css": ("app.css", "text/css; charset=utf-8")}
_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'"


class ExplorerServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, explorer: Explorer, host: str = "127.0.0.1", port: int = 0):
        self.explorer = explorer
        self.lock = threading.Lock()  # one replay at a time: a page asks for little
        self.static = {route: (resources.files(__package__).joinpath("static", name).read_bytes(), ctype)
                       for route, (name, ctype) in _STATIC.items()}
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"


class _Handler(BaseHTTPRequestHandler):
    server: ExplorerServer
    server_version = "papcheck-explore"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # only the CLI prints; a request log would drown its one line

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        self._answer(head=False)

    def _answer(self, head: bool) -> None:
        url = urlsplit(self.path)
        if url.path in self.server.static:
            body, ctype = self.server.static[url.path]
            return self._send(HTTPStatus.OK, body, ctype, head)
        if url.path == "/api/spec":
            with self.server.lock:
                data = self.server.explorer.summary()
            return self._json(HTTPStatus.OK, data, head)
        if url.path == "/api/state":
            query = parse_qs(url.query, keep_blank_values=True)
            try:
                path = parse_path(query.get("path", [""])[0])
                with self.server.lock:
                    data = self.server.explorer.view(path)
            except PathError as e:
                return self._json(HTTPStatus.BAD_REQUEST, {"error": str(e)}, head)
            return self._json(HTTPStatus.OK, data, head)
        if url.path == "/favicon.ico":
            return self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon", head)
        self._json(HTTPStatus.NOT_FOUND, {"error": "not found"}, head)

    def _json(self, status: HTTPStatus, data: Any, head: bool) -> None:
        self._send(status, json.dumps(data, sort_keys=True).encode(), "application/json", head)

    def _send(self, status: HTTPStatus, body: bytes, ctype: str, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", _CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(body)


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "::1", "localhost") or host.startswith("127.")
