"""Stories in the warehouse (articles.story_id): the story each newly loaded article joins — an exact copy's, a
near-duplicate's, or its own — looked up in the warehouse itself: exact copies by text fingerprint, near-duplicates
through the LSH band keys of recent articles' MinHashes (table story_bands). Every load runs under the warehouse's
load lock, so any worker, process or machine sees every copy committed before it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from datasketch import MinHash
from sqlalchemy import Connection, bindparam, or_, select, text, update

from pipeline.records import ArticleRecord
from pipeline.stories.minhash import THRESHOLD, band_keys, minhash_from_bytes
from pipeline.vocabulary import utc
from pipeline.warehouse.articles import CHUNK
from pipeline.warehouse.db import tables, upsert

STORY_WINDOW_DAYS = 30  # a copy published (or fetched) within this many days of an article joins its story


def window_start(now: datetime) -> date:
    return (now - timedelta(days=STORY_WINDOW_DAYS)).date()


def assign_stories(conn: Connection, articles: list[ArticleRecord], ids: dict[str, int], now: datetime) -> None:
    """Give each article without a story one: an exact copy's, a near-duplicate's in the story window, an earlier
    near-duplicate's of the same batch, or its own id. Then index the batch's band keys for the loads after it."""
    table = tables(conn).tables["articles"]
    if not ids:
        return
    have = dict(conn.execute(select(table.c.id, table.c.story_id).where(table.c.id.in_(list(ids.values())))).all())
    copies = _stored_copies(conn, {a.text_hash for a in articles})
    minhashes = {a.url_hash: minhash_from_bytes(a.minhash) for a in articles}
    near = _near_duplicates(
        conn, {ids[a.url_hash]: minhashes[a.url_hash] for a in articles if have.get(ids[a.url_hash]) is None}, now
    )
    seen: list[tuple[int, MinHash]] = []  # (story, MinHash) of the batch's articles so far
    assigned_in_batch: dict[str, int] = {}
    updates = []
    for article in articles:
        article_id, minhash = ids[article.url_hash], minhashes[article.url_hash]
        story = have.get(article_id)
        if story is None:
            story = (
                next((s for i, s in copies.get(article.text_hash, ()) if i != article_id), None)
                or assigned_in_batch.get(article.text_hash)
                or near.get(article_id)
                or _batch_story(seen, minhash)
                or article_id
            )
            updates.append({"article_id": article_id, "story": story})
        assigned_in_batch.setdefault(article.text_hash, story)
        seen.append((story, minhash))
    if updates:  # one statement for the batch, not one round trip per article
        conn.execute(
            update(table).where(table.c.id == bindparam("article_id")).values(story_id=bindparam("story")), updates
        )
    index_bands(conn, [(ids[a.url_hash], max(a.day, a.fetched_at.date()), minhashes[a.url_hash]) for a in articles])
    conn.execute(text("DELETE FROM story_bands WHERE recent_day < :since"), {"since": window_start(now)})


def index_bands(conn: Connection, articles: list[tuple[int, date, MinHash]]) -> None:
    """(Re)write the band keys of (article id, recent day, MinHash) triples: a rewritten text gets new keys."""
    if not articles:
        return
    bands = tables(conn).tables["story_bands"]
    article_ids = [article_id for article_id, _, _ in articles]
    for start in range(0, len(article_ids), CHUNK):
        conn.execute(bands.delete().where(bands.c.article_id.in_(article_ids[start : start + CHUNK])))
    conn.execute(
        bands.insert(),
        [
            {"band_key": key, "article_id": article_id, "recent_day": day}
            for article_id, day, minhash in articles
            for key in set(band_keys(minhash))
        ],
    )


def index_window(conn: Connection, now: datetime, batch_size: int = 2000) -> int:
    """Index the band keys of the story window's articles that have none — after a bulk load that bypassed the load
    step (a restore, a benchmark's synthetic warehouse). Returns the number of articles indexed."""
    meta = tables(conn)
    articles, bands = meta.tables["articles"], meta.tables["story_bands"]
    since = window_start(now)
    recent = or_(articles.c.day >= since, articles.c.fetched_at >= datetime.combine(since, time.min, tzinfo=UTC))
    unindexed = ~select(bands.c.article_id).where(bands.c.article_id == articles.c.id).exists()
    indexed, after = 0, 0
    while True:
        rows = conn.execute(
            select(articles.c.id, articles.c.day, articles.c.fetched_at, articles.c.minhash)
            .where(recent, unindexed, articles.c.minhash.is_not(None), articles.c.id > after)
            .order_by(articles.c.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return indexed
        index_bands(
            conn,
            [
                (article_id, max(day, utc(fetched_at).date()) if day else utc(fetched_at).date(), minhash_from_bytes(m))
                for article_id, day, fetched_at, m in rows
            ],
        )
        indexed += len(rows)
        after = rows[-1][0]


def _near_duplicates(conn: Connection, wanted: dict[int, MinHash], now: datetime) -> dict[int, int]:
    """For each (article id -> MinHash) wanted, the story of the most similar article in the story window at or
    above the threshold (ties: the oldest article), as datasketch's LSH query and a Jaccard estimate would find it."""
    if not wanted:
        return {}
    meta = tables(conn)
    bands, articles = meta.tables["story_bands"], meta.tables["articles"]
    keys_of = {article_id: set(band_keys(minhash)) for article_id, minhash in wanted.items()}
    all_keys = sorted(set().union(*keys_of.values()))
    holders: dict[int, set[int]] = {}  # band key -> indexed articles
    since = window_start(now)
    for start in range(0, len(all_keys), CHUNK):
        for key, article_id in conn.execute(
            select(bands.c.band_key, bands.c.article_id).where(
                bands.c.band_key.in_(all_keys[start : start + CHUNK]), bands.c.recent_day >= since
            )
        ):
            holders.setdefault(key, set()).add(article_id)
    candidates = {a for holders_of_key in holders.values() for a in holders_of_key}
    stored: dict[int, tuple[int, MinHash]] = {}
    ordered = sorted(candidates)
    for start in range(0, len(ordered), CHUNK):
        for article_id, story, minhash in conn.execute(
            select(articles.c.id, articles.c.story_id, articles.c.minhash).where(
                articles.c.id.in_(ordered[start : start + CHUNK]), articles.c.minhash.is_not(None)
            )
        ):
            stored[article_id] = (story or article_id, minhash_from_bytes(minhash))
    found = {}
    for article_id, minhash in wanted.items():
        near = {c for key in keys_of[article_id] for c in holders.get(key, ()) if c != article_id and c in stored}
        if near:
            best = max(near, key=lambda c: (minhash.jaccard(stored[c][1]), -c))
            if minhash.jaccard(stored[best][1]) >= THRESHOLD:
                found[article_id] = stored[best][0]
    return found


def _stored_copies(conn: Connection, text_hashes: set[str]) -> dict[str, list[tuple[int, int]]]:
    """Stored exact copies by text hash: (id, story id) pairs in id order, those with a story only."""
    table = tables(conn).tables["articles"]
    copies: dict[str, list[tuple[int, int]]] = {}
    hashes = sorted(text_hashes)
    for start in range(0, len(hashes), CHUNK):
        rows = conn.execute(
            select(table.c.text_hash, table.c.id, table.c.story_id)
            .where(table.c.text_hash.in_(hashes[start : start + CHUNK]), table.c.story_id.is_not(None))
            .order_by(table.c.id)
        )
        for text_hash, article_id, story in rows:
            copies.setdefault(text_hash, []).append((article_id, story))
    return copies


def _batch_story(seen: list[tuple[int, MinHash]], minhash: MinHash) -> int | None:
    """An earlier near-duplicate of the same batch (not looked up in the warehouse: it was not indexed yet)."""
    best = max(((minhash.jaccard(m), story) for story, m in seen), default=(0.0, None))
    return best[1] if best[0] >= THRESHOLD else None


def merge_exact_copies(conn: Connection, article_ids: list[int], now: datetime) -> int:
    """Join into one story the exact copies (same text fingerprint) of the given articles that sit in different
    stories — which happens when a replay rewrites a stored article's text while a run loads a copy of the new
    text. The story kept is the oldest (smallest id), whichever was loaded first; the moved articles are marked
    updated and the stories they left queued (summary_recount_stories), so that the next summary refresh recounts
    both. Returns the number of articles moved."""
    table = tables(conn).tables["articles"]
    hashes: set[str] = set()
    for start in range(0, len(article_ids), CHUNK):
        hashes.update(
            conn.execute(select(table.c.text_hash).where(table.c.id.in_(article_ids[start : start + CHUNK]))).scalars()
        )
    root: dict[int, int] = {}  # union-find over story ids: copies of one text join the oldest story

    def find(story: int) -> int:
        while root.get(story, story) != story:
            story = root[story]
        return story

    for copies in _stored_copies(conn, hashes).values():
        found = sorted({find(story) for _, story in copies})
        for story in found[1:]:
            root[story] = found[0]
    moves = {old: find(old) for old in root}
    moved = 0
    for old, kept in sorted(moves.items()):
        moved += conn.execute(
            update(table).where(table.c.story_id == old).values(story_id=kept, updated_at=now)
        ).rowcount
        upsert(conn, tables(conn).tables["summary_recount_stories"], [{"story_id": old}], ["story_id"])
    return moved
