"""robots.txt for article pages, parsed by protego, cached per origin for one run.

Policy (as Google documents for its crawler): 2xx → obey the file (first 500 KiB); 4xx → no restrictions;
5xx, timeouts or a refused/unsafe robots URL → treat the whole site as disallowed for this run and retry next run.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from .httpclient import OK, PERMANENT, Fetcher, FetchResult

MAX_ROBOTS_BYTES = 500 * 1024


@dataclass(frozen=True)
class RobotsDecision:
    allowed: bool
    reason: str


class RobotsCache:
    def __init__(self, fetcher: Fetcher, user_agent: str):
        self.fetcher = fetcher
        self.user_agent = user_agent
        self._rules: dict[str, tuple[Protego | None, bool, str]] = {}
        self._lock = threading.Lock()
        self._origin_locks: dict[str, threading.Lock] = {}

    def check(self, url: str) -> tuple[RobotsDecision, FetchResult | None]:
        """Whether `url` may be fetched; also returns the robots.txt fetch when this call made one."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            origin_lock = self._origin_locks.setdefault(origin, threading.Lock())
        fetched = None
        with origin_lock:
            if origin not in self._rules:
                fetched = self.fetcher.fetch(origin + "/robots.txt")
                self._rules[origin] = _policy(fetched)
        parser, allow_all, reason = self._rules[origin]
        if parser is None:
            return RobotsDecision(allow_all, reason), fetched
        if parser.can_fetch(url, self.user_agent):
            return RobotsDecision(True, "allowed by robots.txt"), fetched
        return RobotsDecision(False, "disallowed by robots.txt"), fetched


def _policy(result: FetchResult) -> tuple[Protego | None, bool, str]:
    if result.status == OK:
        text = (result.body or b"")[:MAX_ROBOTS_BYTES].decode("utf-8", "replace")
        return Protego.parse(text), True, "robots.txt"
    if result.status == PERMANENT and result.http_status and 400 <= result.http_status < 500:
        return None, True, f"robots.txt answered {result.http_status}: no restrictions"
    return None, False, f"robots.txt unavailable ({result.reason}): site treated as disallowed this run"
