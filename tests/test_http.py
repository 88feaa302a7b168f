"""The HTTP client against a real server on 127.0.0.1 that produces each fault on the wire."""

from __future__ import annotations

import dataclasses
import time
import tracemalloc

import pytest

from pipeline.fetching.http import Fetcher, parse_retry_after
from pipeline.sample.server import SampleSite
from tests.faults import GOOD_RSS, body, bomb_payload, fault_routes, flaky


@pytest.fixture
def site():
    with SampleSite(routes=fault_routes()) as server:
        yield server


@pytest.fixture
def fetcher(limits):
    with Fetcher(limits) as client:
        client.sleep = lambda seconds: None  # backoff is asserted through the wait function, not by sleeping
        yield client


@pytest.mark.parametrize(
    "path, status, reason_part",
    [
        ("/fault/500", "temporary", "500"),
        ("/fault/503", "temporary", "503"),
        ("/fault/404", "permanent", "404"),
        ("/fault/410", "permanent", "410"),
        ("/fault/loop-a", "permanent", "redirect loop"),
        ("/fault/chain-1", "permanent", "more than 3 redirects"),
        ("/fault/oversized", "permanent", "cap"),
        ("/fault/gzip-bomb", "permanent", "cap"),
        ("/fault/br-bomb", "permanent", "cap"),
        ("/fault/truncated", "temporary", ""),
        ("/fault/to-file", "refused", "scheme file"),
        ("/fault/304", "not_modified", "304"),
    ],
)
def test_each_fault_is_classified(site, fetcher, path, status, reason_part):
    result = fetcher.fetch(site.url(path))
    assert result.status == status, result
    assert reason_part in result.reason
    assert result.body is None


def test_a_good_feed_comes_back_whole(site, fetcher):
    result = fetcher.fetch(site.url("/fault/good.rss"))
    assert result.status == "ok"
    assert result.body == GOOD_RSS.replace(b"{{BASE}}", site.base_url.encode())
    assert result.attempts == 1


def test_temporary_failures_are_retried(site, fetcher):
    result = fetcher.fetch(site.url("/fault/500"))
    assert result.attempts == 2  # one retry in the test limits
    assert site.requests.count("/fault/500") == 2


def test_retry_then_success(limits):
    counter = {}
    with SampleSite(routes={"/flaky": flaky(counter, 1, body(GOOD_RSS))}) as server, Fetcher(limits) as client:
        waits = []
        client.sleep = waits.append
        result = client.fetch(server.url("/flaky"))
    assert result.status == "ok" and result.attempts == 2
    assert waits == [limits.max_retry_after]  # Retry-After: 1 honoured, capped at the limit


def test_slow_drip_is_cut_by_the_total_deadline(site, limits):
    limits = dataclasses.replace(limits, deadline=1.5, retries=0)
    with Fetcher(limits) as client:
        started = time.monotonic()
        result = client.fetch(site.url("/fault/slow"))
        elapsed = time.monotonic() - started
    assert result.status == "temporary" and "timeout" in result.reason
    assert elapsed < 4  # each byte arrived within the read timeout; only a total deadline stops it


def test_a_server_that_never_answers_is_cut_by_the_deadline(site, limits):
    limits = dataclasses.replace(limits, deadline=1.0, retries=0)
    with Fetcher(limits) as client:
        result = client.fetch(site.url("/fault/hang"))
    assert result.status == "temporary" and "timeout" in result.reason


@pytest.mark.parametrize("encoding, path", [("gzip", "/fault/gzip-bomb"), ("br", "/fault/br-bomb")])
def test_decompression_bomb_memory_stays_bounded(site, fetcher, encoding, path):
    bomb_payload(encoding)
    tracemalloc.start()
    result = fetcher.fetch(site.url(path))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.status == "permanent"
    assert peak < 16 * 1024 * 1024  # 64 MiB expanded would be far above this


def test_permanent_redirect_is_reported(site, fetcher):
    result = fetcher.fetch(site.url("/fault/moved"))
    assert result.status == "ok"
    assert result.permanent_redirect == site.url("/fault/good.rss")
    temporary = fetcher.fetch(site.url("/fault/chain-5"))
    assert temporary.status == "ok" and temporary.permanent_redirect is None


def test_loopback_is_refused_unless_allowed(site, limits):
    production = dataclasses.replace(limits, private_allowlist=())
    with Fetcher(production) as client:
        result = client.fetch(site.url("/fault/good.rss"))
    assert result.status == "refused" and "non-public address" in result.reason
    assert "/fault/good.rss" not in site.requests  # refused before connecting


@pytest.mark.parametrize("path", ["/fault/to-metadata", "/fault/to-private"])
def test_redirect_hop_to_an_internal_address_is_refused(site, limits, path):
    only_own_server = dataclasses.replace(limits, private_allowlist=("127.0.0.1",))
    with Fetcher(only_own_server) as client:
        result = client.fetch(site.url(path))
    assert result.status == "refused"
    assert "non-public address" in result.reason
    assert result.final_url.startswith(("http://169.254.169.254", "http://10.11.12.13"))


@pytest.mark.parametrize(
    "url",
    [
        "http://0x7f000001:{port}/fault/good.rss",  # hexadecimal spelling of 127.0.0.1
        "http://2130706433:{port}/fault/good.rss",  # decimal spelling
        "http://[::ffff:127.0.0.1]:{port}/fault/good.rss",  # IPv4-mapped IPv6
        "http://localhost:{port}/fault/good.rss",
    ],
)
def test_other_spellings_of_loopback_are_refused(site, limits, url):
    production = dataclasses.replace(limits, private_allowlist=())
    port = site.base_url.rsplit(":", 1)[1]
    with Fetcher(production) as client:
        result = client.fetch(url.format(port=port))
    assert result.status == "refused", result
    assert site.requests == []


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd", "ftp://x.org/f"])
def test_non_http_schemes_are_refused(fetcher, url):
    result = fetcher.fetch(url)
    assert result.status == "refused" and "scheme" in result.reason


def test_conditional_get_headers_are_sent(sample_site, limits):
    with Fetcher(limits) as client:
        first = client.fetch(sample_site.url("robots.txt"))
        second = client.fetch(sample_site.url("robots.txt"), {"If-None-Match": first.headers["etag"]})
    assert first.status == "ok" and second.status == "not_modified"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("5", 5.0),
        ("999999", 30.0),
        ("garbage", None),
        ("", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_retry_after_parsing(value, expected):
    assert parse_retry_after(value, cap=30.0) == expected
