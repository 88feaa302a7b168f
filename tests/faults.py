"""Fault routes for the loopback test server: each one creates a real failure on the wire."""
from __future__ import annotations

import functools
import gzip
import time

import brotli

GOOD_RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Good</title><link>http://example.org/</link><description>d</description>
<item><title>One</title><link>{{BASE}}/articles/one.html</link><guid>one</guid>
<pubDate>Tue, 28 Jan 2025 09:30:00 GMT</pubDate></item>
</channel></rss>"""

HTML_PAGE = b"<!doctype html><html><head><title>Not a feed</title></head><body><p>Hello</p></body></html>"
MALFORMED_RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Broken & co</title>
<item><title>Still readable</title><link>{{BASE}}/articles/one.html</link></item>
<item><title>Unclosed"""


def status(code: int, headers: dict | None = None):
    def handler(h):
        h.send_body(code, f"status {code}".encode(), "text/plain", headers)
    return handler


def body(data: bytes, content_type: str = "application/rss+xml", headers: dict | None = None):
    def handler(h):
        h.send_body(200, data.replace(b"{{BASE}}", h.server.base_url.encode()), content_type, headers)
    return handler


def redirect(location: str, code: int = 302):
    def handler(h):
        target = location.replace("{{BASE}}", h.server.base_url)
        h.send_body(code, b"", "text/plain", {"Location": target})
    return handler


def slow_drip(h):
    """Headers at once, then one byte every half second: every read succeeds, the whole never ends in time."""
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    try:
        for _ in range(40):
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.5)
    except OSError:
        pass


def hang(h):
    """Accept and never answer."""
    time.sleep(8)


def oversized(h):
    h.send_body(200, b"<rss>" + b"x" * (1024 * 1024) + b"</rss>", "application/rss+xml")


@functools.cache
def bomb_payload(encoding: str) -> bytes:
    """64 MiB of zeros, compressed (built once, before any memory measurement)."""
    zeros = b"\0" * (64 * 1024 * 1024)
    return gzip.compress(zeros, 9) if encoding == "gzip" else brotli.compress(zeros, quality=5)


def gzip_bomb(h):
    h.send_body(200, bomb_payload("gzip"), "application/rss+xml", {"Content-Encoding": "gzip"})


def brotli_bomb(h):
    h.send_body(200, bomb_payload("br"), "application/rss+xml", {"Content-Encoding": "br"})


def truncated(h):
    """Promises 5000 bytes, sends 100, closes the connection."""
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Content-Length", "5000")
    h.end_headers()
    h.wfile.write(b"<rss>" + b"y" * 95)
    h.wfile.flush()
    h.close_connection = True


def flaky(counter: dict, failures: int, then):
    """Fails with 503 `failures` times, then behaves like `then`."""
    def handler(h):
        counter["calls"] = counter.get("calls", 0) + 1
        if counter["calls"] <= failures:
            return h.send_body(503, b"busy", "text/plain", {"Retry-After": "1"})
        return then(h)
    return handler


def fault_routes() -> dict:
    return {
        "/fault/500": status(500),
        "/fault/404": status(404),
        "/fault/410": status(410),
        "/fault/503": status(503, {"Retry-After": "120"}),
        "/fault/304": status(304),
        "/fault/slow": slow_drip,
        "/fault/hang": hang,
        "/fault/loop-a": redirect("/fault/loop-b"),
        "/fault/loop-b": redirect("/fault/loop-a"),
        "/fault/chain-1": redirect("/fault/chain-2"),
        "/fault/chain-2": redirect("/fault/chain-3"),
        "/fault/chain-3": redirect("/fault/chain-4"),
        "/fault/chain-4": redirect("/fault/chain-5"),
        "/fault/chain-5": redirect("/fault/good.rss"),
        "/fault/moved": redirect("/fault/good.rss", 301),
        "/fault/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
        "/fault/to-private": redirect("http://10.11.12.13/feed.xml"),
        "/fault/to-file": redirect("file:///etc/passwd"),
        "/fault/oversized": oversized,
        "/fault/gzip-bomb": gzip_bomb,
        "/fault/br-bomb": brotli_bomb,
        "/fault/truncated": truncated,
        "/fault/html": body(HTML_PAGE, "text/html"),
        "/fault/empty": body(b""),
        "/fault/malformed": body(MALFORMED_RSS),
        "/fault/good.rss": body(GOOD_RSS),
    }
