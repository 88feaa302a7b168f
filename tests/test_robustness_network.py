"""Network faults created for real on 127.0.0.1, beyond those of test_http: DNS rebinding, more spellings
of internal addresses, redirect hops to unsafe schemes, endless and truncated bodies, resets, servers that
never answer, Retry-After in every form, and the per-host limit seen from the server.

No test here opens a connection to anything but 127.0.0.1: `dial_log` replaces the socket layer's connect so
that any other address is refused before a packet leaves (and recorded, so that a test can assert on it)."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from pipeline.fetching.http import Fetcher, parse_retry_after
from pipeline.sample.server import SampleSite
from tests.faults import (
    GOOD_RSS,
    InFlight,
    body,
    drip_headers,
    endless_chunked,
    fault_routes,
    redirect,
    reset_before_response,
    reset_mid_body,
    sequence,
    status,
    truncated_chunked,
    truncated_gzip,
)

PUBLIC_LOOKING = "93.184.215.14"  # a global address that is never dialled: dial_log refuses it


@pytest.fixture
def dial_log(monkeypatch):
    """Every address the HTTP client dials; anything but 127.0.0.1 is refused without touching the network."""
    dialled: list[str] = []
    real = socket.create_connection

    def guarded(address, *args, **kwargs):
        dialled.append(address[0])
        if address[0] != "127.0.0.1":
            raise ConnectionRefusedError(f"test: {address[0]} is not dialled from this machine")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)
    return dialled


def routes() -> dict:
    return {
        **fault_routes(),
        "/endless": endless_chunked(),
        "/endless-slow": endless_chunked(b"<item>", pause=0.1),
        "/endless-gzip": endless_chunked(encoding="gzip"),
        "/drip-headers": drip_headers,
        "/reset-mid-body": reset_mid_body,
        "/reset-before-response": reset_before_response,
        "/truncated-chunked": truncated_chunked,
        "/truncated-gzip": truncated_gzip,
        "/to-javascript": redirect("javascript:alert(1)"),
        "/to-data": redirect("data:text/xml,<rss/>"),
        "/to-ftp": redirect("ftp://127.0.0.1/feed.xml"),
        "/to-hex-metadata": redirect("http://0xa9fea9fe/latest/meta-data/"),  # 169.254.169.254
        "/to-octal-private": redirect("http://012.0.0.1/feed.xml"),  # 10.0.0.1
        "/to-mapped-private": redirect("http://[::ffff:c0a8:1]/feed.xml"),  # 192.168.0.1
        "/no-location": status(302),
        "/relative-1": redirect("relative-2"),
        "/relative-2": redirect("../fault/good.rss"),
        "/three-hops": redirect("/relative-1"),
    }


@pytest.fixture(scope="module")
def server():
    with SampleSite(routes=routes()) as running:
        yield running


@pytest.fixture
def site(server):
    server.requests.clear()
    return server


@pytest.fixture
def production(limits):
    """Production safety (no private hosts) except our own server's exact address, opted in explicitly."""
    return dataclasses.replace(limits, private_allowlist=("127.0.0.1",), retries=0)


def fetch(limits, url, **changes):
    with Fetcher(dataclasses.replace(limits, **changes)) as client:
        client.sleep = lambda seconds: None
        return client.fetch(url)


# ------------------------------------------------------------------ addresses
def test_dns_rebinding_has_no_window(site, limits, dial_log, monkeypatch):
    """The resolver answers a public address first and loopback after. The address checked is the address
    dialled, so neither answer reaches our server: the first is dialled (and refused by the test), the second
    is refused by the guard before any connection."""
    port = int(site.base_url.rsplit(":", 1)[1])
    lookups = []
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        if host != "rebind.test":
            return real(host, *args, **kwargs)
        lookups.append(host)
        address = PUBLIC_LOOKING if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    strict = dataclasses.replace(limits, private_allowlist=(), retries=1)
    result = fetch(strict, f"http://rebind.test:{port}/fault/good.rss")
    assert len(lookups) == 2  # one lookup per connection attempt, none between check and connect
    assert dial_log == [PUBLIC_LOOKING]  # what was checked was dialled; 127.0.0.1 never was
    assert result.status == "refused" and "non-public address (127.0.0.1)" in result.reason
    assert site.requests == []


@pytest.mark.parametrize(
    "host",
    [
        "0177.0.0.1",  # octal
        "127.1",  # short form
        "0x7f.1",  # mixed hexadecimal short form
        "127.000.000.001",
        "0.0.0.0",
        "0",  # "this host": connects to loopback on Linux
        "[::1]",
        "[::]",
        "[::ffff:7f00:1]",
        "[0:0:0:0:0:ffff:127.0.0.1]",  # IPv4-mapped, two spellings
        "[::127.0.0.1]",  # IPv4-compatible (deprecated)
        "[64:ff9b::7f00:1]",  # NAT64
        "[2002:7f00:1::]",  # 6to4 around 127.0.0.1
        "[fe80::1]",
        "[fc00::1]",  # link-local, unique local
        "169.254.169.254",
        "100.64.0.1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.0.1",
        "198.18.0.1",
        "224.0.0.1",
    ],
)
def test_internal_addresses_in_any_spelling_are_refused_before_connecting(site, production, dial_log, host):
    port = site.base_url.rsplit(":", 1)[1]
    result = fetch(production, f"http://{host}:{port}/fault/good.rss", private_allowlist=())
    assert result.status == "refused", (host, result)
    assert dial_log == [] and site.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org@127.0.0.1:{port}/fault/good.rss",  # the host is what follows the @
        "http://127.0.0.1:{port}#@example.org/fault/good.rss",
    ],
)
def test_url_tricks_resolve_to_the_real_host_and_are_refused(site, production, dial_log, url):
    port = site.base_url.rsplit(":", 1)[1]
    result = fetch(production, url.format(port=port), private_allowlist=())
    assert result.status == "refused", result
    assert site.requests == []


@pytest.mark.parametrize(
    "path, reason",
    [
        ("/to-javascript", "invalid URL"),
        ("/to-data", "invalid URL"),
        ("/to-octal-private", "invalid URL"),
        ("/to-ftp", "scheme ftp"),
        ("/fault/to-file", "scheme file"),  # (httpx rejects the first three itself)
        ("/to-hex-metadata", "non-public"),
        ("/to-mapped-private", "non-public"),
    ],
)
def test_a_redirect_hop_to_an_unsafe_target_is_refused(site, production, dial_log, path, reason):
    result = fetch(production, site.url(path))
    assert result.status == "refused" and reason in result.reason, result
    assert result.body is None
    assert site.requests == [path]  # the first hop only; the unsafe target was never contacted


# ------------------------------------------------------------------ redirects
def test_relative_redirects_within_the_cap_are_followed(site, limits):
    result = fetch(limits, site.url("/three-hops"))
    assert result.status == "ok" and result.final_url == site.url("/fault/good.rss")
    assert site.requests == ["/three-hops", "/relative-1", "/relative-2", "/fault/good.rss"]
    assert result.permanent_redirect is None  # 302s: the feed has not moved for good


def test_a_redirect_without_location_is_recorded(site, limits):
    result = fetch(limits, site.url("/no-location"))
    assert result.status == "permanent" and "302" in result.reason


# ------------------------------------------------------------------ bodies
@pytest.mark.parametrize("path", ["/endless", "/endless-gzip"])
def test_an_endless_chunked_body_is_cut_at_the_cap_with_bounded_memory(site, limits, path):
    tracemalloc.start()
    started = time.monotonic()
    result = fetch(limits, site.url(path), max_bytes=512 * 1024)
    elapsed = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.status == "permanent" and "cap" in result.reason and result.body is None
    assert elapsed < 3 and peak < 8 * 1024 * 1024


def test_an_endless_slow_chunked_body_is_cut_by_the_deadline(site, limits):
    started = time.monotonic()
    result = fetch(limits, site.url("/endless-slow"), deadline=1.0, retries=0)
    assert result.status == "temporary" and "timeout" in result.reason
    assert time.monotonic() - started < 2.0


def test_headers_that_never_finish_are_cut_by_the_deadline(site, limits):
    started = time.monotonic()
    result = fetch(limits, site.url("/drip-headers"), deadline=1.0, retries=0)
    assert result.status == "temporary" and "timeout" in result.reason
    assert time.monotonic() - started < 2.0


def test_a_server_that_accepts_and_never_reads_is_cut_by_the_deadline(limits):
    """A listening socket nobody accepts from: the kernel completes the handshake, nothing else happens."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        started = time.monotonic()
        result = fetch(limits, f"http://127.0.0.1:{port}/feed.xml", deadline=1.0, retries=0)
    assert result.status == "temporary" and "timeout" in result.reason
    assert time.monotonic() - started < 2.0


def test_a_closed_port_is_a_temporary_failure(limits):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused
        result = fetch(limits, f"http://127.0.0.1:{port}/feed.xml", retries=0)
    assert result.status == "temporary" and "Connect" in result.reason


@pytest.mark.parametrize(
    "path", ["/reset-mid-body", "/reset-before-response", "/truncated-chunked", "/truncated-gzip", "/fault/truncated"]
)
def test_truncated_and_reset_transfers_never_return_a_partial_body(site, limits, path):
    result = fetch(limits, site.url(path), retries=0)
    assert result.status == "temporary", result
    assert result.body is None and result.reason


# ------------------------------------------------------------------ Retry-After
def http_date(seconds_from_now: float) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_from_now), usegmt=True)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("7", 7.0),
        ("0", 0.0),
        (" 12 ", 12.0),
        ("99999999999999999999999", 30.0),  # absurdly large: capped
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        ("\x00", None),  # not delay-seconds: backoff rules
        ("Fri, 31 Dec 9999 23:59:59 GMT", 30.0),  # a date far ahead: capped
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),  # in the past: no wait
        ("Mon, 32 Foo 2025 25:61:61 GMT", None),  # a broken date
    ],
)
def test_retry_after_variants(value, expected):
    assert parse_retry_after(value, cap=30.0) == expected


def test_retry_after_as_a_date_is_relative_to_now():
    assert 5 < parse_retry_after(http_date(10), cap=30.0) <= 10
    assert parse_retry_after(http_date(3600), cap=30.0) == 30.0


@pytest.mark.parametrize(
    "code, retry_after, expected_wait",
    [
        (429, "2", 2.0),
        (503, "999999", 5.0),
        (429, "garbage", 0.5),
        (503, None, 0.5),
        (429, "HTTPDATE+3", 3.0),
    ],
)
def test_429_and_503_wait_as_told_within_the_cap_then_succeed(site, limits, code, retry_after, expected_wait):
    headers = {"Retry-After": http_date(3) if retry_after == "HTTPDATE+3" else retry_after} if retry_after else {}
    path = f"/busy-{code}-{retry_after}"
    site.server.routes[path] = sequence(status(code, headers), body(GOOD_RSS))
    with Fetcher(dataclasses.replace(limits, backoff=0.5, max_retry_after=5.0, retries=2)) as client:
        waits = []
        client.sleep = waits.append
        result = client.fetch(site.url(path))
    assert result.status == "ok" and result.attempts == 2
    assert len(waits) == 1 and waits[0] == pytest.approx(expected_wait, abs=1.1)
    assert waits[0] <= 5.0


def test_a_host_that_stays_busy_gives_up_after_the_retries(site, limits):
    site.server.routes["/busy"] = status(429, {"Retry-After": "1"})
    with Fetcher(dataclasses.replace(limits, retries=2)) as client:
        waits = []
        client.sleep = waits.append
        result = client.fetch(site.url("/busy"))
    assert result.status == "temporary" and "429" in result.reason and result.attempts == 3
    assert waits == [limits.max_retry_after] * 2  # Retry-After 1 s, capped at the test limit of 0.2 s
    assert site.requests == ["/busy"] * 3


# ------------------------------------------------------------------ politeness
def test_the_per_host_limit_holds_with_many_feeds_on_one_host(site, limits):
    in_flight = InFlight(hold=0.05)
    table = {f"/feed-{n}.rss": in_flight.wrap(body(GOOD_RSS)) for n in range(24)}
    site.server.routes.update(table)
    polite = dataclasses.replace(limits, per_host_concurrency=2, workers=8)
    with Fetcher(polite) as client, ThreadPoolExecutor(8) as pool:
        results = list(pool.map(client.fetch, [site.url(p) for p in table]))
    assert all(r.status == "ok" for r in results)
    assert in_flight.total == 24
    assert in_flight.peak == 2  # 8 workers, yet never more than 2 at once on the host


def test_the_per_host_delay_spaces_request_starts(site, limits):
    starts = []
    lock = threading.Lock()

    def stamped(h):
        with lock:
            starts.append(time.monotonic())
        return body(GOOD_RSS)(h)

    site.server.routes.update({f"/spaced-{n}": stamped for n in range(6)})
    spaced = dataclasses.replace(limits, per_host_concurrency=4, per_host_delay=0.1, workers=6)
    with Fetcher(spaced) as client, ThreadPoolExecutor(6) as pool:
        list(pool.map(client.fetch, [site.url(f"/spaced-{n}") for n in range(6)]))
    gaps = [b - a for a, b in zip(sorted(starts), sorted(starts)[1:])]
    assert len(starts) == 6 and min(gaps) > 0.08
