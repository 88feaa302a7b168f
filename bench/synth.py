"""A synthetic warehouse for the scale benchmark: N tagged articles over 3 years, bulk-loaded into PostgreSQL.

Generated inside PostgreSQL (generate_series, random() with a fixed seed) and loaded with INSERT … SELECT, secondary
indexes dropped during the load and rebuilt after it, foreign-key triggers off in that transaction (the generator
writes consistent rows). The shape follows what the pipeline stores:

- 60 sources in five perspectives (russian_state, iranian_state, western, regional, independent), en/ru/fa;
- stories on a day drawn with a rising trend, 1 to 25 copies each (mean 2.5) carried by other sources within
  0–2 days, near-duplicate text (some exact copies), so that story counts differ from article counts;
- 35% of stories relevant, each with 1–4 of the 14 taxonomy topics (diplomacy and defence most common), a third
  of the defence stories about drones; copies mostly share the story's tags;
- per article: ~2 KB text, a 1 KB MinHash, a feed item, a source link, an article fetch in the fetch log; one
  feed fetch per source per day (about 3% failed, plus a few multi-day outages);
- the current taxonomy version tags everything; the previous version's rows remain for the year before the
  version changed (60 days before the end), as after a retag.
The raw HTML archive (raw_pages) is not generated: no trend query reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

TOPIC_WEIGHTS = {
    "diplomacy": 0.45,
    "defence": 0.30,
    "energy": 0.25,
    "nuclear": 0.20,
    "trade": 0.20,
    "sanctions": 0.20,
    "finance": 0.15,
    "transport": 0.15,
    "industry": 0.10,
    "agriculture": 0.06,
    "science_technology": 0.06,
    "space": 0.05,
    "counter_terrorism": 0.05,
    "culture": 0.05,
}
PREVIOUS_VERSION = "synthetic-previous"
VOCABULARY = [
    "the",
    "minister",
    "said",
    "on",
    "talks",
    "between",
    "Moscow",
    "and",
    "Tehran",
    "over",
    "new",
    "agreement",
    "cooperation",
    "energy",
    "gas",
    "oil",
    "pipeline",
    "railway",
    "corridor",
    "bank",
    "payment",
    "rouble",
    "rial",
    "sanctions",
    "trade",
    "exports",
    "wheat",
    "nuclear",
    "plant",
    "Bushehr",
    "Rosatom",
    "satellite",
    "launch",
    "drone",
    "Shahed",
    "defence",
    "air",
    "systems",
    "delegation",
    "visit",
    "president",
    "foreign",
    "ministry",
    "summit",
    "Caspian",
    "port",
    "investment",
    "loan",
    "industry",
    "factory",
    "university",
    "research",
    "culture",
    "festival",
    "officials",
    "expected",
    "week",
    "month",
    "year",
    "agreement",
    "signed",
    "memorandum",
    "project",
    "construction",
    "joint",
    "commission",
    "according",
    "to",
    "agency",
    "reported",
]


@dataclass(frozen=True)
class Shape:
    articles: int
    end: date = date(2026, 10, 31)
    days: int = 1096
    sources: int = 60
    paragraphs: int = 600
    current_version: str = "2025.2"

    @property
    def stories(self) -> int:
        return int(self.articles / 2.5 * 1.1)  # a little more than needed; the copies past N are cut


def generate(conn: Connection, shape: Shape, progress=print) -> dict[str, float]:
    """Fill an empty, migrated warehouse schema; returns seconds per step."""
    import time

    timings: dict[str, float] = {}
    conn.execute(text("SET LOCAL session_replication_role = replica"))  # no FK triggers during the bulk load
    conn.execute(text("SET LOCAL work_mem = '256MB'"))  # this transaction only: the timed queries run with the defaults
    conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
    indexes = _drop_secondary_indexes(conn)
    for name, sql in _steps(shape):
        start = time.perf_counter()
        for statement in sql.split(";\n"):
            conn.execute(text(statement), _params(shape))
        timings[name] = time.perf_counter() - start
        progress(f"  {name}: {timings[name]:.1f} s")
    start = time.perf_counter()
    for definition in indexes:
        conn.execute(text(definition))
    timings["rebuild indexes"] = time.perf_counter() - start
    progress(f"  rebuild indexes: {timings['rebuild indexes']:.1f} s")
    return timings


def _params(shape: Shape) -> dict:
    return dict(
        n=shape.articles,
        stories=shape.stories,
        days=shape.days,
        nsources=shape.sources,
        npara=shape.paragraphs,
        end_day=shape.end,
        current=shape.current_version,
        previous=PREVIOUS_VERSION,
        vocab=list(VOCABULARY),
    )


def _drop_secondary_indexes(conn: Connection) -> list[str]:
    """Drop the non-unique indexes of the current schema; returns their definitions to rebuild after the load."""
    rows = conn.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND indexdef NOT LIKE 'CREATE UNIQUE%'"
        )
    ).all()
    for name, _ in rows:
        conn.execute(text(f'DROP INDEX "{name}"'))
    return [definition for _, definition in rows]


def _topic_array() -> str:
    cases = ", ".join(f"CASE WHEN random() < {w} THEN '{t}' END" for t, w in TOPIC_WEIGHTS.items())
    return f"array_remove(ARRAY[{cases}], NULL)"


def _steps(shape: Shape) -> list[tuple[str, str]]:
    return [
        ("seed", "SELECT setseed(0.6)"),
        ("sources", SOURCES),
        ("taxonomy versions and runs", VERSIONS_AND_RUNS),
        ("paragraph pool", PARAGRAPHS),
        ("stories", STORIES.replace("{topics}", _topic_array())),
        ("story texts", STORY_TEXTS),
        ("article plan", ARTICLE_PLAN),
        ("articles", ARTICLES),
        ("relevance", RELEVANCE),
        ("topics", TOPICS),
        ("feed items and source links", ITEMS_AND_LINKS),
        ("fetch log", FETCH_LOG),
        ("drop staging", "DROP TABLE gen_story, gen_text, gen_article, gen_para"),
    ]


SOURCES = """
INSERT INTO sources (id, name, feed_url, site_url, language, country, perspective, archive, enabled, created_at,
                     last_status, consecutive_failures)
SELECT i, format('Synthetic %s %s', p.perspective, i), format('https://s%s.synthetic.example/feed', i),
       format('https://s%s.synthetic.example/', i), p.language, p.country, p.perspective, 'none', TRUE,
       (CAST(:end_day AS date) - :days)::timestamptz, 'ok', 0
FROM generate_series(1, :nsources) i
CROSS JOIN LATERAL (
    SELECT CASE WHEN i % 5 = 0 THEN 'independent' WHEN i % 5 = 1 THEN 'russian_state'
                WHEN i % 5 = 2 THEN 'iranian_state' WHEN i % 5 = 3 THEN 'western' ELSE 'regional' END AS perspective
) q
CROSS JOIN LATERAL (
    SELECT q.perspective,
           CASE WHEN q.perspective = 'russian_state' THEN (CASE WHEN i % 3 = 0 THEN 'en' ELSE 'ru' END)
                WHEN q.perspective = 'iranian_state' THEN (CASE WHEN i % 3 = 0 THEN 'en' ELSE 'fa' END)
                WHEN q.perspective = 'regional' THEN (CASE WHEN i % 2 = 0 THEN 'ru' ELSE 'en' END)
                ELSE 'en' END AS language,
           CASE WHEN q.perspective = 'russian_state' THEN 'RU' WHEN q.perspective = 'iranian_state' THEN 'IR'
                WHEN q.perspective = 'regional' THEN 'AZ' WHEN q.perspective = 'western' THEN 'GB' ELSE 'US' END
               AS country
) p;
SELECT setval(pg_get_serial_sequence('sources', 'id'), :nsources)
"""

VERSIONS_AND_RUNS = """
INSERT INTO taxonomy_versions (version, content_sha256, is_current, first_used_at) VALUES
    (:current, repeat('c', 64), TRUE, (CAST(:end_day AS date) - 60)::timestamptz),
    (:previous, repeat('p', 64), FALSE, (CAST(:end_day AS date) - :days)::timestamptz);
INSERT INTO pipeline_runs (id, mode, triggered_by, interval_start, interval_end, started_at, finished_at, status,
                           taxonomy_version, feeds_total, feeds_ok)
SELECT d + 1, 'live', 'synthetic', day::timestamptz, day::timestamptz + interval '1 day',
       day::timestamptz + interval '1 day 1 hour', day::timestamptz + interval '1 day 2 hours', 'ok',
       CASE WHEN day >= CAST(:end_day AS date) - 60 THEN :current ELSE :previous END, :nsources, :nsources
FROM generate_series(0, :days - 1) d
CROSS JOIN LATERAL (SELECT CAST(:end_day AS date) - :days + 1 + d AS day) x;
SELECT setval(pg_get_serial_sequence('pipeline_runs', 'id'), :days)
"""

PARAGRAPHS = """
CREATE TEMP TABLE gen_para AS
SELECT i, (SELECT string_agg(w, ' ') FROM (
            SELECT (CAST(:vocab AS text[]))[1 + floor(random() * array_length(CAST(:vocab AS text[]), 1))::int] AS w
            FROM generate_series(1, 55 + (i % 20)) g) words) || '.' AS p
FROM generate_series(0, :npara - 1) i
"""

STORIES = """
CREATE TEMP TABLE gen_story AS
SELECT s AS story_no, day_no, copies, relevant, first_source,
       CASE WHEN relevant AND cardinality(topics) = 0 THEN ARRAY['diplomacy'] ELSE topics END AS topics,
       relevant AND 'defence' = ANY(topics) AND random() < 0.35 AS drone,
       sum(copies) OVER (ORDER BY s) AS copies_through
FROM (
    SELECT s,
           floor(:days * CASE WHEN random() < 0.6 THEN random() ELSE sqrt(random()) END)::int AS day_no,
           LEAST(1 + floor(-ln(1 - random()) * 2.0)::int, 25) AS copies,
           random() < 0.35 AS relevant,
           1 + floor(random() * :nsources)::int AS first_source,
           {topics} AS topics
    FROM generate_series(1, :stories) s
) raw
"""

STORY_TEXTS = """
CREATE TEMP TABLE gen_text AS
SELECT g.story_no,
       p1.p || E'\\n' || p2.p || E'\\n' || p3.p || E'\\n' || p4.p
       || CASE WHEN g.drone THEN E'\\nThe Shahed drones, known in Russia as Geran, were discussed again.' ELSE '' END
       || E'\\n' || p5.p AS body
FROM gen_story g
JOIN gen_para p1 ON p1.i = (g.story_no * 7) % :npara
JOIN gen_para p2 ON p2.i = (g.story_no * 13 + 1) % :npara
JOIN gen_para p3 ON p3.i = (g.story_no * 17 + 2) % :npara
JOIN gen_para p4 ON p4.i = (g.story_no * 29 + 3) % :npara
JOIN gen_para p5 ON p5.i = (g.story_no * 31 + 4) % :npara
WHERE g.copies_through - g.copies < :n
"""

ARTICLE_PLAN = """
CREATE TEMP TABLE gen_article AS
SELECT row_number() OVER (ORDER BY day_no, story_no, copy_no) AS id, *
FROM (
    SELECT g.story_no, k AS copy_no,
           1 + ((g.first_source - 1 + k * 17 + CASE WHEN k > 0 THEN g.story_no % 7 ELSE 0 END) % :nsources) AS source_id,
           LEAST(g.day_no + CASE WHEN k = 0 THEN 0 ELSE floor(random() * 3)::int END, :days - 1) AS day_no,
           g.relevant AND (k = 0 OR random() < 0.95) AS relevant,
           g.topics,
           random() AS r
    FROM gen_story g
    CROSS JOIN generate_series(0, g.copies - 1) k
    WHERE g.copies_through - g.copies + k < :n
) a;
ALTER TABLE gen_article ADD COLUMN story_id bigint;
UPDATE gen_article a SET story_id = f.first_id
FROM (SELECT story_no, min(id) AS first_id FROM gen_article GROUP BY story_no) f
WHERE f.story_no = a.story_no;
CREATE INDEX ON gen_article (id);
ANALYZE gen_article
"""

ARTICLES = """
INSERT INTO articles (id, url_hash, url, canonical_url, source_id, story_id, title, authors, site_name, published_at,
                      published_raw, date_problem, day, week, month, date_source, fetched_at, language,
                      declared_language, extraction_method, word_count, text, text_hash, minhash, first_run_id,
                      updated_at)
SELECT a.id, encode(sha256(convert_to(u.url, 'UTF8')), 'hex'), u.url, u.url, a.source_id, a.story_id,
       format('Story %s: %s', a.story_no, array_to_string(a.topics, ', ')), '["Synthetic Author"]',
       s.name, t.published_at, to_char(t.published_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), NULL,
       t.day, date_trunc('week', t.day)::date, to_char(t.day, 'YYYY-MM'), 'page',
       t.published_at + interval '3 hours', s.language, s.language, 'trafilatura',
       length(x.body) / 6, x.body, encode(sha256(convert_to(x.body, 'UTF8')), 'hex'),
       decode(repeat(left(md5(a.story_no::text || CASE WHEN a.copy_no % 3 = 2 THEN 'v' ELSE '' END), 8) || '00000000', 128), 'hex'),
       LEAST(a.day_no + 1, :days), t.published_at + interval '3 hours'
FROM gen_article a
JOIN sources s ON s.id = a.source_id
JOIN gen_text g ON g.story_no = a.story_no
CROSS JOIN LATERAL (
    SELECT CAST(:end_day AS date) - :days + 1 + a.day_no AS day,
           (CAST(:end_day AS date) - :days + 1 + a.day_no)::timestamptz + a.r * interval '20 hours' AS published_at
) t
CROSS JOIN LATERAL (
    SELECT format('https://s%s.synthetic.example/%s/story-%s-%s', a.source_id, to_char(t.day, 'YYYY/MM/DD'),
                  a.story_no, a.copy_no) AS url,
           g.body || CASE WHEN a.copy_no % 3 = 2 THEN E'\\nDistributed by ' || s.name || '.' ELSE '' END AS body
) x
CROSS JOIN LATERAL (SELECT x.url) u;
SELECT setval(pg_get_serial_sequence('articles', 'id'), (SELECT max(id) FROM articles))
"""

RELEVANCE = """
INSERT INTO article_relevance (article_id, taxonomy_version, relevant, score, evidence, evidence_field,
                               evidence_start, evidence_end, tagged_at)
SELECT a.id, v.version, a.relevant, CASE WHEN a.relevant THEN 0.6 + a.r * 0.4 ELSE a.r * 0.4 END,
       CASE WHEN a.relevant THEN 'Moscow and Tehran agreed on the next steps, the minister said.' END,
       CASE WHEN a.relevant THEN 'text' END, CASE WHEN a.relevant THEN 0 END, CASE WHEN a.relevant THEN 62 END,
       (CAST(:end_day AS date) - :days + 2 + a.day_no)::timestamptz
FROM gen_article a
CROSS JOIN (VALUES (:current), (:previous)) v(version)
WHERE v.version = :current OR a.day_no BETWEEN :days - 60 - 365 AND :days - 61
"""

TOPICS = """
INSERT INTO article_topics (article_id, taxonomy_version, topic, score, evidence, evidence_field, evidence_start,
                            evidence_end, tagged_at)
SELECT a.id, v.version, topic, 0.5 + a.r * 0.5,
       format('The sentence that mentions %s in story %s.', topic, a.story_no), 'text', 10, 70,
       (CAST(:end_day AS date) - :days + 2 + a.day_no)::timestamptz
FROM gen_article a
CROSS JOIN unnest(a.topics) AS topic
CROSS JOIN (VALUES (:current), (:previous)) v(version)
WHERE a.relevant
  AND (v.version = :current OR (a.day_no BETWEEN :days - 60 - 365 AND :days - 61 AND topic <> 'sanctions'))
"""

ITEMS_AND_LINKS = """
INSERT INTO feed_items (source_id, url_hash, url, guid, title, summary, published_raw, published_at, state, attempts,
                        last_error, article_id, first_seen_at, last_seen_at)
SELECT a.source_id, a.url_hash, a.url, a.url, a.title, left(a.text, 200), a.published_raw, a.published_at, 'done', 1,
       NULL, a.id, a.fetched_at, a.fetched_at
FROM articles a;
INSERT INTO article_sources (article_id, source_id, first_seen_at)
SELECT id, source_id, fetched_at FROM articles
"""

FETCH_LOG = """
INSERT INTO fetch_log (run_id, source_id, kind, url, final_url, status, http_status, reason, bytes, elapsed_ms,
                       attempts, fetched_at, fetched_day)
SELECT d + 1, s.id, 'feed', s.feed_url, s.feed_url, f.status, f.http_status, f.reason, 40000, 300, 1,
       (CAST(:end_day AS date) - :days + 1 + d)::timestamptz + interval '1 hour',
       CAST(:end_day AS date) - :days + 1 + d
FROM generate_series(0, :days - 1) d
CROSS JOIN sources s
CROSS JOIN LATERAL (
    SELECT CASE WHEN (s.id % 17 = 0 AND d % 200 BETWEEN 10 AND 14) OR random() < 0.03 THEN 'temporary'
                ELSE 'ok' END AS status
) q
CROSS JOIN LATERAL (
    SELECT q.status, CASE WHEN q.status = 'ok' THEN 200 ELSE 503 END AS http_status,
           CASE WHEN q.status = 'ok' THEN '20 entries' ELSE 'HTTP 503 after 3 attempts' END AS reason
) f;
INSERT INTO fetch_log (run_id, source_id, kind, url, final_url, status, http_status, reason, bytes, elapsed_ms,
                       attempts, fetched_at, fetched_day)
SELECT a.first_run_id, a.source_id, 'article', a.url, a.url, 'ok', 200, 'ok', 90000, 250, 1, a.fetched_at,
       a.fetched_at::date
FROM articles a
"""
