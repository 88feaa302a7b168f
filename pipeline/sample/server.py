"""A real HTTP server on 127.0.0.1 that serves the bundled sample news site (pipeline/sample/site) for the
offline demo and the tests. {{BASE}} in served files becomes the server's own base URL."""

from __future__ import annotations

import hashlib
import mimetypes
import threading
from collections.abc import Callable
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

SITE_DIR = Path(__file__).resolve().parent / "site"
TEMPLATED = {".xml", ".rss", ".atom", ".html", ".htm", ".txt", ".yaml"}
CONTENT_TYPES = {
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".xml": "application/xml",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".yaml": "text/plain; charset=utf-8",
}
STARTED = formatdate(usegmt=True)


class SiteHandler(BaseHTTPRequestHandler):
    server_version = "newsmon-sample-site/1.0"
    protocol_version = "HTTP/1.1"
    server: _QuietServer

    def log_message(self, format, *args):  # keep test and demo output quiet
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        path = unquote(urlsplit(self.path).path)
        handler = self.server.routes.get(path)
        if handler is not None:
            return handler(self)
        return self.send_file(path)

    def send_file(self, path: str):
        root = self.server.root
        target = (root / path.lstrip("/")).resolve()
        if target.is_dir():
            target = target / "index.html"
        if root not in target.parents or not target.is_file():
            return self.send_body(404, b"not found", "text/plain")
        body = target.read_bytes()
        if target.suffix in TEMPLATED:
            body = body.replace(b"{{BASE}}", self.server.base_url.encode())
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            return self.send_body(304, b"", None, {"ETag": etag})
        content_type = (
            CONTENT_TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        )
        return self.send_body(200, body, content_type, {"ETag": etag, "Last-Modified": STARTED})

    def send_body(self, status: int, body: bytes, content_type: str | None, headers: dict | None = None):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    # set by SampleSite
    root: Path
    routes: dict[str, Callable[[SiteHandler], object]]
    requests: list[str]
    base_url: str

    def handle_error(self, request, client_address):
        """A client that hangs up mid-response (deadlines, size caps) is expected here, not an error."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class SampleSite:
    """Context manager: `with SampleSite() as site: site.base_url`. Extra `routes` map a path to a handler."""

    def __init__(self, root: Path = SITE_DIR, host: str = "127.0.0.1", port: int = 0, routes: dict | None = None):
        self.server = _QuietServer((host, port), SiteHandler)
        self.server.root = Path(root).resolve()
        self.server.routes = dict(routes or {})
        self.server.requests = []
        self.server.base_url = f"http://{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="sample-site", daemon=True)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def requests(self) -> list[str]:
        return self.server.requests

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    def start(self) -> SampleSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
