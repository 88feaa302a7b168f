"""The one path from a fetched page to an article record: extract, clean, date, fingerprint and tag. A live run
builds articles from pages it has just fetched, a replay from the pages it archived; both call `build_article`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeGuard
from urllib.parse import urlsplit

from pipeline.config import CleaningRules
from pipeline.extraction.extract import extract_bounded
from pipeline.fetching.limits import FetchLimits
from pipeline.fetching.urls import clean_url, url_hash
from pipeline.records import ArticleRecord, ItemOutcome
from pipeline.stories.minhash import minhash_to_bytes, text_minhash
from pipeline.tagging import Tagger
from pipeline.textutil import content_fingerprint


@dataclass(frozen=True)
class Page:
    """A fetched page: what the fetch (or the raw archive) holds of it."""

    url: str  # the URL asked for
    final_url: str | None  # where redirects ended
    body: bytes
    content_type: str | None
    fetched_at: datetime
    declared_language: str | None  # the source's language, from the feed list


def build_article(
    page: Page,
    item: ItemOutcome,
    rules: CleaningRules,
    tagger: Tagger,
    limits: FetchLimits,
    known_canonical: str | None = None,
) -> ArticleRecord | None:
    """The article of a page, or None when the page has no article text. `item` is what the feed said of it (title,
    date), used where the page says nothing; `known_canonical` is a canonical URL stored earlier. Raises
    ExtractionTimeout for a page over its time budget (the same page would take as long again)."""
    page_url = page.final_url or page.url
    extracted = extract_bounded(
        page.body,
        page_url,
        rules,
        seconds=limits.page_seconds,
        isolate_bytes=limits.isolate_bytes,
        max_bytes=limits.max_extract_bytes,
        content_type=page.content_type,
        declared_language=page.declared_language,
    )
    if not extracted.text:
        return None
    title = extracted.title or item.title
    key_url = extracted.canonical_url if _same_site(extracted.canonical_url, page_url) else page_url
    published, date_source = extracted.published_at, "page"
    if published is None and item.published_at is not None:
        published, date_source = item.published_at, "feed"
    tags = tagger.tag(title, extracted.text, max_chars=limits.max_tag_chars)
    return ArticleRecord(
        url_hash=url_hash(key_url),
        url=clean_url(key_url),
        canonical_url=extracted.canonical_url or known_canonical,
        final_url=page.final_url,
        title=title,
        authors=extracted.authors,
        site_name=extracted.site_name,
        published_at=published,
        published_raw=extracted.published_raw or item.published_raw,
        date_problem=extracted.date_problem or item.date_problem,
        date_source=date_source if published else "fetched",
        day=published.date() if published else page.fetched_at.date(),
        fetched_at=page.fetched_at,
        language=extracted.language,
        declared_language=page.declared_language,
        extraction_method=extracted.method,
        text=extracted.text,
        text_hash=content_fingerprint(extracted.text),
        minhash=minhash_to_bytes(text_minhash(extracted.text)),
        raw_html=page.body,
        content_type=page.content_type,
        tags=tags,
        item_url_hashes=(item.url_hash,),
        truncated="; ".join(filter(None, (extracted.truncated, tags.truncated))) or None,
    )


def _same_site(canonical: str | None, page_url: str) -> TypeGuard[str]:
    """A canonical link is trusted only on the page's own host (a page cannot claim another site's URL)."""
    if not canonical:
        return False
    return (urlsplit(canonical).hostname or "").removeprefix("www.") == (
        urlsplit(page_url).hostname or ""
    ).removeprefix("www.")
