"""Fault routes for the loopback test server: each one creates a real failure on the wire."""

from __future__ import annotations

import functools
import gzip
import io
import socket
import struct
import threading
import time
import zlib

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


def redirect_to_host(host: str, path: str = "/fault/good.rss"):
    """A redirect to this server's port on another host name or address (e.g. 127.0.0.2, [::1])."""

    def handler(h):
        port = h.server.base_url.rsplit(":", 1)[1]
        h.send_body(302, b"", "text/plain", {"Location": f"http://{host}:{port}{path}"})

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
        "/fault/to-loopback-2": redirect_to_host("127.0.0.2"),
        "/fault/to-ipv6-loopback": redirect_to_host("[::1]"),
        "/fault/to-decimal-loopback": redirect_to_host("2130706433"),
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


# ------------------------------------------------------------------ faults added for the robustness suite
def endless_chunked(piece: bytes = b"<item>" + b"z" * 8186 + b"</item>", pause: float = 0.0, encoding: str = ""):
    """A chunked body that never ends (until the client hangs up): fast to hit the size cap, or slow to hit
    the deadline. With `encoding` the chunks are one endless compressed stream."""

    def handler(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Transfer-Encoding", "chunked")
        if encoding:
            h.send_header("Content-Encoding", encoding)
        h.end_headers()
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31) if encoding == "gzip" else None
        try:
            for _ in range(100_000):  # bounded: 800 MB at most, the client is gone long before
                data = compressor.compress(piece) + compressor.flush(zlib.Z_SYNC_FLUSH) if compressor else piece
                h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                h.wfile.flush()
                if pause:
                    time.sleep(pause)
        except OSError:
            pass
        h.close_connection = True

    return handler


def drip_headers(h):
    """The status line, then one header byte every half second: the response never gets going."""
    try:
        h.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for byte in b"X-Slow: " + b"s" * 40:
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(0.5)
    except OSError:
        pass
    h.close_connection = True


def _reset(h) -> None:
    """Close the connection with a TCP RST (SO_LINGER 0) instead of an orderly FIN."""
    h.wfile.flush()
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.connection.close()
    h.wfile = io.BytesIO()  # the server's own clean-up writes here instead of to the dead socket
    h.close_connection = True


def reset_mid_body(h):
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Content-Length", "5000")
    h.end_headers()
    h.wfile.write(GOOD_RSS[:120])
    _reset(h)


def reset_before_response(h):
    _reset(h)


def truncated_chunked(h):
    """A chunk header promises 4096 bytes, 100 arrive, the connection closes: no terminating chunk."""
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    h.wfile.write(b"1000\r\n" + GOOD_RSS[:100])
    h.wfile.flush()
    h.close_connection = True


def truncated_gzip(h):
    """A gzip stream cut in half, with a Content-Length that matches the cut: only the decoder can tell."""
    data = gzip.compress(GOOD_RSS.replace(b"{{BASE}}", h.server.base_url.encode()) * 20)
    h.send_body(200, data[: len(data) // 2], "application/rss+xml", {"Content-Encoding": "gzip"})


def sequence(*handlers):
    """Answers the n-th request with the n-th handler (the last one repeats)."""
    calls = {"n": 0}

    def handler(h):
        calls["n"] += 1
        return handlers[min(calls["n"], len(handlers)) - 1](h)

    handler.calls = calls
    return handler


class InFlight:
    """Wraps handlers to count requests the server is working on at once (the per-host limit, seen from the
    server). Each request is held `hold` seconds before its answer is written, and counted only while held:
    that window lies inside the client's own slot (from sending the request to reading the whole answer), so
    the peak can never exceed the client's limit by a race in the measurement."""

    def __init__(self, hold: float = 0.05):
        self.hold, self.now, self.peak, self.total = hold, 0, 0, 0
        self._lock = threading.Lock()

    def wrap(self, handler):
        def counted(h):
            with self._lock:
                self.now += 1
                self.total += 1
                self.peak = max(self.peak, self.now)
            try:
                time.sleep(self.hold)
            finally:
                with self._lock:
                    self.now -= 1
            return handler(h)

        return counted
