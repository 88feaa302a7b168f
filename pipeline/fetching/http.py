"""The one HTTP client of the pipeline: total deadlines, size caps on decompressed bytes, manual redirects
with a cap and an address check on every hop, per-host politeness, retries with backoff and Retry-After.

Every outcome is classified into a small fixed set of statuses so that callers never see a raw exception.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
import zlib
from dataclasses import replace
from datetime import UTC, datetime
from typing import cast
from urllib.parse import urljoin, urlsplit

import brotli
import httpcore
import httpx
import tenacity

from pipeline.fetching.limits import FetchLimits
from pipeline.fetching.netguard import GuardedBackend, RefusedURL, check_url, request_deadline
from pipeline.fetching.result import FetchResult
from pipeline.vocabulary import FetchStatus, utc

log = logging.getLogger(__name__)

TEMPORARY_HTTP = {408, 425, 429, 500, 502, 503, 504, 507, 520, 521, 522, 523, 524}
REDIRECTS = {301, 302, 303, 307, 308}
PERMANENT_REDIRECTS = {301, 308}


class BodyTooLarge(Exception):
    pass


class TruncatedBody(Exception):
    pass


class BodyCut(Exception):
    """Carries the first bytes of a body read only up to the cap (asked for with keep_prefix)."""

    def __init__(self, prefix: bytes):
        super().__init__(f"cut at {len(prefix)} bytes")
        self.prefix = prefix


def parse_retry_after(value: str | None, cap: float) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or HTTP date); garbage gives None; capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    when = utc(when)
    return min(max(0.0, (when - datetime.now(UTC)).total_seconds()), cap)


class _Decoder:
    """Decompresses a body chunk by chunk without ever producing more than the caller's limit at once."""

    def __init__(self, encoding: str):
        self.encoding = encoding
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
        elif encoding == "br":
            self._br = brotli.Decompressor()
        elif encoding not in ("", "identity"):
            raise BodyTooLarge(f"unsupported content-encoding {encoding!r}")
        self._first = True

    def feed(self, data: bytes, limit: int):
        if self.encoding in ("", "identity"):
            yield data
        elif self.encoding == "br":
            yield self._br.process(data, output_buffer_limit=limit)
            while not self._br.can_accept_more_data():
                yield self._br.process(b"", output_buffer_limit=limit)
        else:
            yield from self._feed_zlib(data, limit)

    def _feed_zlib(self, data: bytes, limit: int):
        if self._first and self.encoding == "deflate" and data and (data[0] & 0x0F) != 8:
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate without the zlib header
        self._first = False
        while data:
            yield self._zlib.decompress(data, limit)
            data = self._zlib.unconsumed_tail

    def finished(self) -> bool:
        if self.encoding in ("gzip", "x-gzip", "deflate"):
            return self._zlib.eof
        if self.encoding == "br":
            return self._br.is_finished()
        return True


def read_body(response: httpx.Response, max_bytes: int, deadline: request_deadline, keep_prefix: bool = False) -> bytes:
    """Read and decompress a streamed body, enforcing the size cap on decompressed bytes and the deadline.
    With `keep_prefix` a body over the cap is cut there and its first `max_bytes` returned (robots.txt)."""
    declared = response.headers.get("content-length", "")
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if declared.isdigit() and not encoding and int(declared) > max_bytes and not keep_prefix:
        raise BodyTooLarge(f"declared Content-Length {declared} exceeds the {max_bytes}-byte cap")
    decoder = _Decoder(encoding)
    body = bytearray()
    for raw in response.iter_raw(65536):
        for piece in decoder.feed(raw, max_bytes - len(body) + 1):
            body += piece
            if len(body) > max_bytes and keep_prefix:
                raise BodyCut(bytes(body[:max_bytes]))
            if len(body) > max_bytes:
                raise BodyTooLarge(f"body exceeds the {max_bytes}-byte cap (decompressed)")
        if deadline.remaining() <= 0:
            raise httpx.ReadTimeout("total deadline exceeded")
    if not decoder.finished():
        raise TruncatedBody(f"{encoding} stream ended early: body truncated")
    return bytes(body)


class HostLimiter:
    """At most `concurrency` requests per host at once, and at least `delay` seconds between their starts."""

    def __init__(self, concurrency: int, delay: float):
        self.concurrency, self.delay = concurrency, delay
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}
        self._next_start: dict[str, float] = {}

    def acquire(self, host: str) -> None:
        with self._lock:
            slot = self._slots.setdefault(host, threading.Semaphore(self.concurrency))
        slot.acquire()
        if self.delay:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next_start.get(host, 0.0))
                self._next_start[host] = start + self.delay
            if start > now:
                time.sleep(start - now)

    def release(self, host: str) -> None:
        self._slots[host].release()


def build_client(limits: FetchLimits) -> httpx.Client:
    """An httpx client whose connections go through the address guard; redirects are followed by us."""
    transport = httpx.HTTPTransport(retries=0)
    transport._pool = httpcore.ConnectionPool(  # the only way to give httpx a network backend
        ssl_context=httpx.create_ssl_context(),
        max_connections=max(10, limits.workers * 2),
        max_keepalive_connections=limits.workers,
        network_backend=GuardedBackend(limits.private_allowlist),
    )
    timeout = httpx.Timeout(limits.deadline, connect=min(limits.connect_timeout, limits.deadline))
    headers = {"User-Agent": limits.user_agent, "Accept-Encoding": "gzip, deflate, br"}
    return httpx.Client(transport=transport, timeout=timeout, headers=headers, follow_redirects=False)


class Fetcher:
    """Fetches URLs politely and safely; `fetch` always returns a classified FetchResult."""

    def __init__(self, limits: FetchLimits, client: httpx.Client | None = None):
        self.limits = limits
        self.client = client or build_client(limits)
        self.hosts = HostLimiter(limits.per_host_concurrency, limits.per_host_delay)
        self.sleep = time.sleep

    def close(self) -> None:
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def fetch(
        self, url: str, headers: dict[str, str] | None = None, max_bytes: int | None = None, keep_prefix: bool = False
    ) -> FetchResult:
        """Fetch with retries on temporary failures (exponential backoff, Retry-After honoured within a cap).
        `max_bytes` lowers the size cap for this fetch; `keep_prefix` returns a body over it cut at the cap."""
        started = time.monotonic()
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.limits.retries + 1),
            wait=self._wait,
            retry=tenacity.retry_if_result(lambda result: result.status == FetchStatus.TEMPORARY),
            # called after an attempt, so there is always an outcome
            retry_error_callback=lambda state: cast("tenacity.Future", state.outcome).result(),
            sleep=self.sleep,
            reraise=True,
        )
        cap = (min(max_bytes or self.limits.max_bytes, self.limits.max_bytes), keep_prefix)
        result = retrying(self._fetch_once, url, headers or {}, cap)
        attempts = retrying.statistics.get("attempt_number", 1)
        elapsed = int((time.monotonic() - started) * 1000)
        return replace(result, attempts=attempts, elapsed_ms=elapsed)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        backoff = self.limits.backoff * (2 ** (state.attempt_number - 1))
        retry_after = state.outcome.result().retry_after if state.outcome else None
        return min(max(backoff, retry_after or 0.0), self.limits.max_retry_after)

    def _fetch_once(self, url: str, headers: dict[str, str], cap: tuple[int, bool]) -> FetchResult:
        seen: list[str]
        seen, current, moved = [], url, None
        all_permanent = True
        with request_deadline(self.limits.deadline) as deadline:
            while True:
                try:
                    check_url(current)
                except RefusedURL as exc:
                    return FetchResult(url, FetchStatus.REFUSED, str(exc), final_url=current)
                if current in seen:
                    return FetchResult(url, FetchStatus.PERMANENT, f"redirect loop at {current}", final_url=current)
                if len(seen) > self.limits.max_redirects:
                    return FetchResult(
                        url,
                        FetchStatus.PERMANENT,
                        f"more than {self.limits.max_redirects} redirects",
                        final_url=current,
                    )
                seen.append(current)
                outcome = self._request(url, current, headers, deadline, cap)
                if isinstance(outcome, FetchResult):
                    return replace(outcome, permanent_redirect=moved) if moved else outcome
                status, location = outcome
                all_permanent = all_permanent and status in PERMANENT_REDIRECTS
                current = urljoin(current, location)
                moved = current if all_permanent else None
                headers = {k: v for k, v in headers.items() if k.lower() not in ("if-none-match", "if-modified-since")}

    def _request(self, url, current, headers, deadline, cap) -> FetchResult | tuple[int, str]:
        host = urlsplit(current).hostname or ""
        self.hosts.acquire(host)
        try:
            with self.client.stream("GET", current, headers=headers) as response:
                code = response.status_code
                if code in REDIRECTS and response.headers.get("location"):
                    return code, response.headers["location"]
                return self._classify(url, current, response, deadline, cap)
        except RefusedURL as exc:
            return FetchResult(url, FetchStatus.REFUSED, str(exc), final_url=current)
        except (httpx.TimeoutException, httpcore.TimeoutException) as exc:
            return FetchResult(
                url, FetchStatus.TEMPORARY, f"timeout: {exc or 'no answer within the deadline'}", final_url=current
            )
        except BodyTooLarge as exc:
            return FetchResult(url, FetchStatus.PERMANENT, str(exc), final_url=current)
        except TruncatedBody as exc:
            return FetchResult(url, FetchStatus.TEMPORARY, str(exc), final_url=current)
        except httpx.RemoteProtocolError as exc:
            if str(exc).startswith("Invalid URL in location header"):  # httpx checks a Location before we see it
                return FetchResult(url, FetchStatus.REFUSED, f"redirect to an invalid URL: {exc}", final_url=current)
            return FetchResult(url, FetchStatus.TEMPORARY, f"{type(exc).__name__}: {exc}", final_url=current)
        except (httpx.TransportError, httpcore.NetworkError, zlib.error, brotli.error) as exc:
            return FetchResult(url, FetchStatus.TEMPORARY, f"{type(exc).__name__}: {exc}", final_url=current)
        except httpx.InvalidURL as exc:
            return FetchResult(url, FetchStatus.REFUSED, f"invalid URL (or redirect target): {exc}", final_url=current)
        finally:
            self.hosts.release(host)

    def _classify(self, url, current, response: httpx.Response, deadline, cap) -> FetchResult:
        code = response.status_code
        headers = {k.lower(): v for k, v in response.headers.items()}
        common = dict(http_status=code, final_url=current, headers=headers)
        if code == 304:
            return FetchResult(url, FetchStatus.NOT_MODIFIED, "304 not modified", **common)
        if 200 <= code < 300:
            reason = f"{code} {response.reason_phrase}".strip()
            try:
                body = read_body(response, cap[0], deadline, keep_prefix=cap[1])
            except BodyCut as cut:
                body, reason = cut.prefix, f"{reason} (cut at {len(cut.prefix)} bytes)"
            return FetchResult(url, FetchStatus.OK, reason, body=body, **common)
        reason = f"HTTP {code} {response.reason_phrase}".strip()
        if code in TEMPORARY_HTTP:
            retry_after = parse_retry_after(headers.get("retry-after"), self.limits.max_retry_after)
            return FetchResult(url, FetchStatus.TEMPORARY, reason, retry_after=retry_after, **common)
        return FetchResult(url, FetchStatus.PERMANENT, reason, **common)
