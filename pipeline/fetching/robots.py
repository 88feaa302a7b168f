"""robots.txt for article pages, parsed by protego, cached per origin for one run.

Policy (as Google documents for its crawler): 2xx → obey the file (its first 500 KiB; the rest is not even
downloaded); 4xx → no restrictions; 5xx, 429, timeouts or a refused/unsafe robots URL (a redirect hop to an
internal address included) → treat the whole site as disallowed for this run and retry next run. The file is
read as UTF-8 (a byte-order mark is skipped), or as Latin-1 when it is not valid UTF-8, so that its ASCII rules
hold and non-ASCII paths match as their author wrote them. An HTML page served as robots.txt holds no rules.
"""

from __future__ import annotations

import codecs
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from pipeline.fetching.http import Fetcher
from pipeline.fetching.result import FetchResult
from pipeline.vocabulary import FetchStatus

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
                fetched = self.fetcher.fetch(origin + "/robots.txt", max_bytes=MAX_ROBOTS_BYTES, keep_prefix=True)
                self._rules[origin] = _policy(fetched)
        parser, allow_all, reason = self._rules[origin]
        if parser is None:
            return RobotsDecision(allow_all, reason), fetched
        if parser.can_fetch(url, self.user_agent):
            return RobotsDecision(True, "allowed by robots.txt"), fetched
        return RobotsDecision(False, "disallowed by robots.txt"), fetched


def _policy(result: FetchResult) -> tuple[Protego | None, bool, str]:
    if result.status == FetchStatus.OK:
        return Protego.parse(_robots_text(result.body or b"")), True, "robots.txt"
    if result.status == FetchStatus.PERMANENT and result.http_status and 400 <= result.http_status < 500:
        return None, True, f"robots.txt answered {result.http_status}: no restrictions"
    return None, False, f"robots.txt unavailable ({result.reason}): site treated as disallowed this run"


def _robots_text(data: bytes) -> str:
    """UTF-8 without its BOM (a character cut at the 500 KiB mark is dropped), else Latin-1."""
    try:
        return codecs.getincrementaldecoder("utf-8-sig")().decode(data, final=False)
    except UnicodeDecodeError:
        return data.decode("latin-1")
