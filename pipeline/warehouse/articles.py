"""Articles and their archived pages (tables articles, raw_pages, article_sources): the one place that turns an
ArticleRecord into column values."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime

from sqlalchemy import Connection, select

from pipeline.records import ArticleRecord
from pipeline.warehouse.db import tables, unique_rows, upsert

# What extraction, cleaning and dating make of a page: written by a live run, rewritten by a replay. The identity
# columns (url_hash, url, source_id, fetched_at, first_run_id) and the story never change once written.
CONTENT_COLUMNS = (
    "title",
    "authors",
    "site_name",
    "published_at",
    "published_raw",
    "date_problem",
    "day",
    "week",
    "month",
    "date_source",
    "language",
    "extraction_method",
    "word_count",
    "text",
    "text_hash",
    "minhash",
    "canonical_url",
    "truncated",
)
CHUNK = 500  # ids or hashes per IN (...) list


def content_values(article: ArticleRecord) -> dict:
    """The CONTENT_COLUMNS of an article record."""
    return dict(
        title=article.title,
        authors=json.dumps(list(article.authors), ensure_ascii=False),
        site_name=article.site_name,
        published_at=article.published_at,
        published_raw=article.published_raw,
        date_problem=article.date_problem,
        day=article.day,
        week=article.week,
        month=article.month,
        date_source=article.date_source,
        language=article.language,
        extraction_method=article.extraction_method,
        word_count=article.word_count,
        text=article.text,
        text_hash=article.text_hash,
        minhash=article.minhash,
        canonical_url=article.canonical_url,
        truncated=article.truncated,
    )


def existing_articles(conn: Connection, url_hashes) -> dict[str, int]:
    """Article ids by URL hash, for the hashes stored."""
    articles = tables(conn).tables["articles"]
    hashes = list(set(url_hashes))
    found: dict[str, int] = {}
    for start in range(0, len(hashes), CHUNK):
        found.update(
            conn.execute(
                select(articles.c.url_hash, articles.c.id).where(articles.c.url_hash.in_(hashes[start : start + CHUNK]))
            ).all()
        )
    return found


def distinct_articles(articles: list[ArticleRecord]) -> list[ArticleRecord]:
    """Two items of one batch can resolve to the same article (canonical URL): keep the first."""
    return unique_rows(articles, lambda article: article.url_hash)


def upsert_articles(
    conn: Connection, articles: list[ArticleRecord], source_id: int, run_id: int, now: datetime
) -> dict[str, int]:
    """Insert new articles and rewrite the content of stored ones; returns article ids by URL hash."""
    table = tables(conn).tables["articles"]
    rows = [
        dict(
            content_values(a),
            url_hash=a.url_hash,
            url=a.url,
            source_id=source_id,
            fetched_at=a.fetched_at,
            declared_language=a.declared_language,
            first_run_id=run_id,
            updated_at=now,
        )
        for a in articles
    ]
    upsert(conn, table, rows, ["url_hash"], [*CONTENT_COLUMNS, "declared_language", "updated_at"])
    return existing_articles(conn, [a.url_hash for a in articles])


def upsert_raw_pages(conn: Connection, articles: list[ArticleRecord], ids: dict[str, int]) -> None:
    """The fetched bytes of each article's page, gzipped: what a replay rebuilds the article from."""
    table = tables(conn).tables["raw_pages"]
    rows = [
        dict(
            article_id=ids[a.url_hash],
            url=a.url,
            final_url=a.final_url,
            fetched_at=a.fetched_at,
            content_type=a.content_type,
            compression="gzip",
            body=gzip.compress(a.raw_html, 6),
            body_sha256=hashlib.sha256(a.raw_html).hexdigest(),
            size=len(a.raw_html),
        )
        for a in articles
    ]
    upsert(
        conn,
        table,
        rows,
        ["article_id"],
        ["url", "final_url", "fetched_at", "content_type", "compression", "body", "body_sha256", "size"],
    )


def raw_html(row) -> bytes:
    """The archived page's bytes from a raw_pages row (`body`, `compression`)."""
    body = bytes(row["body"])
    return gzip.decompress(body) if row["compression"] == "gzip" else body


def link_sources(conn: Connection, article_ids, source_id: int, now: datetime) -> None:
    """Record that the source carried these articles (article_sources); a link is written once."""
    rows = [dict(article_id=i, source_id=source_id, first_seen_at=now) for i in sorted(set(article_ids))]
    upsert(conn, tables(conn).tables["article_sources"], rows, ["article_id", "source_id"])
