"""Stories in the warehouse (articles.story_id): the story index of recent articles' MinHashes, kept up to date
with what other processes commit, and the story each newly loaded article joins."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from datasketch import MinHash
from sqlalchemy import Connection, bindparam, func, or_, select, text, update

from pipeline.records import ArticleRecord
from pipeline.stories.minhash import THRESHOLD, StoryIndex, minhash_from_bytes
from pipeline.warehouse.articles import CHUNK
from pipeline.warehouse.db import tables

# (article id, story id, MinHash): what a load adds to the in-memory index once its transaction has committed
Addition = tuple[int, int, MinHash]


def load_story_index(conn: Connection, since: date) -> StoryIndex:
    """Recent articles' MinHashes, so that a copy published days later still joins its story."""
    articles = tables(conn).tables["articles"]
    index = StoryIndex()
    index.high_water = conn.execute(select(func.max(articles.c.id))).scalar() or 0
    fetched_since = datetime.combine(since, time.min, tzinfo=UTC)
    recent = or_(articles.c.day >= since, articles.c.fetched_at >= fetched_since)  # published or fetched lately
    rows = conn.execute(
        select(articles.c.id, articles.c.story_id, articles.c.minhash).where(recent, articles.c.minhash.is_not(None))
    )
    for article_id, story_id, minhash in rows:
        index.add(article_id, story_id or article_id, minhash_from_bytes(minhash))
    return index


def catch_up_story_index(conn: Connection, index: StoryIndex) -> None:
    """Add the articles other processes committed since the index was loaded (parallel feed tasks)."""
    articles = tables(conn).tables["articles"]
    rows = conn.execute(
        select(articles.c.id, articles.c.story_id, articles.c.minhash)
        .where(articles.c.id > index.high_water, articles.c.minhash.is_not(None))
        .order_by(articles.c.id)
    ).all()
    for article_id, story_id, minhash in rows:
        index.add(article_id, story_id or article_id, minhash_from_bytes(minhash))
        index.high_water = max(index.high_water, article_id)


def assign_stories(
    conn: Connection, articles: list[ArticleRecord], ids: dict[str, int], index: StoryIndex
) -> list[Addition]:
    """Give each article without a story one: an exact copy's, a near-duplicate's, or its own id. Returns what to
    add to the index after commit."""
    table = tables(conn).tables["articles"]
    if not ids:
        return []
    have = dict(conn.execute(select(table.c.id, table.c.story_id).where(table.c.id.in_(list(ids.values())))).all())
    copies = _stored_copies(conn, {a.text_hash for a in articles})
    additions: list[Addition] = []
    assigned_in_batch: dict[str, int] = {}
    updates = []
    for article in articles:
        article_id = ids[article.url_hash]
        minhash = minhash_from_bytes(article.minhash)
        story = have.get(article_id)
        if story is None:
            story = (
                next((s for i, s in copies.get(article.text_hash, ()) if i != article_id), None)
                or assigned_in_batch.get(article.text_hash)
                or index.find_story(minhash, exclude=article_id)
                or _batch_story(additions, minhash)
                or article_id
            )
            updates.append({"article_id": article_id, "story": story})
        assigned_in_batch.setdefault(article.text_hash, story)
        additions.append((article_id, story, minhash))
    if updates:  # one statement for the batch, not one round trip per article
        conn.execute(
            update(table).where(table.c.id == bindparam("article_id")).values(story_id=bindparam("story")), updates
        )
    return additions


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


def _batch_story(additions: list[Addition], minhash: MinHash) -> int | None:
    """Near-duplicates inside one batch are not in the index yet (it is updated after commit)."""
    best = max(((minhash.jaccard(m), story) for _, story, m in additions), default=(0.0, None))
    return best[1] if best[0] >= THRESHOLD else None


def merge_exact_copies(conn: Connection, article_ids: list[int], now: datetime) -> int:
    """Join into one story the exact copies (same text fingerprint) of the given articles that sit in different
    stories — which happens when a replay rewrites a stored article's text while a run loads a copy of the new
    text. The story kept is the oldest (smallest id), whichever was loaded first; the moved articles are marked
    updated so that the next summary refresh recounts them. Returns the number of articles moved."""
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
        conn.execute(text("DELETE FROM summary_stories WHERE story_id = :old"), {"old": old})
    return moved
