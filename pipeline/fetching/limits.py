"""The limits every HTTP request and every page is held to (set from NEWSMON_* by pipeline.settings)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_USER_AGENT = (
    "newsmon/0.1 (Russia-Iran news-monitoring pipeline; operators set NEWSMON_USER_AGENT with a contact)"
)


@dataclass(frozen=True)
class FetchLimits:
    """Limits applied to every HTTP request the pipeline makes."""

    deadline: float = 20.0  # seconds for the whole request, headers and body included
    connect_timeout: float = 5.0
    max_bytes: int = 5 * 1024 * 1024  # counted on decompressed bytes
    max_redirects: int = 5
    retries: int = 2  # extra attempts after a temporary failure
    backoff: float = 0.5  # seconds, doubled each attempt
    max_retry_after: float = 30.0  # cap on a server's Retry-After within one run
    per_host_concurrency: int = 2
    per_host_delay: float = 0.0  # minimum seconds between two requests to one host
    workers: int = 8
    user_agent: str = DEFAULT_USER_AGENT
    max_extract_bytes: int = 2 * 1024 * 1024  # HTML handed to extraction (a bigger page is cut, and recorded)
    page_seconds: float = 30.0  # time budget for extracting one page over isolate_bytes (in a child process)
    isolate_bytes: int = 512 * 1024  # pages bigger than this are extracted in a child process under page_seconds
    max_items_per_feed: int = 300  # new items fetched per feed per run; the rest wait for the next runs
    cpu_workers: int = 1  # processes for extraction and tagging: 1 = in this process, 0 = one per core
    max_tag_chars: int = 200_000  # text handed to the tagger (about 30,000 words; the whole text is still stored)
    # non-public networks that may be dialled (NEWSMON_PRIVATE_ALLOWLIST); empty in production. Link-local and
    # metadata addresses are never allowed (pipeline.fetching.netguard.NEVER_ALLOWED).
    private_allowlist: tuple[str, ...] = ()
