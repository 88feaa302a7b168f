"""What one fetch gave: status, reason, bytes and timings. Imports no HTTP client, so that the warehouse and the
records can name it without pulling one in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from pipeline.vocabulary import FetchStatus


@dataclass(frozen=True)
class FetchResult:
    """One fetch's outcome, classified into FetchStatus: callers never see a raw exception."""

    url: str
    status: FetchStatus
    reason: str
    http_status: int | None = None
    final_url: str | None = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    elapsed_ms: int = 0
    attempts: int = 1
    permanent_redirect: str | None = None  # where the URL moved for good (every hop a 301/308)
    retry_after: float | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def size(self) -> int:
        return len(self.body or b"")
