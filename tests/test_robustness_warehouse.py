"""The warehouse under faults: the database connection killed in the middle of a feed's transaction, a load
process killed with SIGKILL mid-transaction, and two runs of the same day at once. After each, nothing is
half-written, a rerun completes the day with no duplicate and no lost article, and no lock is left behind."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from pipeline.config import FeedSource
from pipeline.fetching.http import Fetcher
from pipeline.runs.live import Pipeline, RunOptions
from pipeline.sample.server import SITE_DIR, SampleSite
from pipeline.settings import PROJECT_ROOT
from pipeline.warehouse import batches
from pipeline.warehouse.db import make_engine, upgrade
from tests.conftest import POSTGRES_URL, WAREHOUSE_KINDS, fresh_warehouse

ARTICLES = [
    "su-35-deliveries-iran",
    "bushehr-rosatom-new-units",
    "gazprom-gas-supplies-iran",
    "rouble-rial-settlement-central-banks",
    "russian-wheat-exports-iran",
    "joint-naval-drill-chabahar",
]
TABLES = ("articles", "raw_pages", "article_relevance", "article_sources", "feed_items")


def rss(*slugs: str) -> bytes:
    items = "".join(
        f"<item><title>{s}</title><link>{{{{BASE}}}}/articles/{s}.html</link><guid>{s}</guid></item>" for s in slugs
    )
    return f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def serve(data: bytes):
    def handler(h):
        h.send_body(200, data.replace(b"{{BASE}}", h.server.base_url.encode()), "application/rss+xml")

    return handler


# two feeds that carry the same articles in opposite orders (the classic recipe for a lock-order deadlock)
ROUTES = {"/forward.rss": serve(rss(*ARTICLES)), "/backward.rss": serve(rss(*reversed(ARTICLES)))}


def feeds(site, *names: str) -> list[FeedSource]:
    return [
        FeedSource(
            name=name, url=site.url(f"/{name}.rss"), site=None, language="en", country="GB", perspective="western"
        )
        for name in names
    ]


@pytest.fixture(scope="module")
def site():
    with SampleSite(routes=ROUTES) as server:
        yield server


@pytest.fixture
def fetch_limits(limits):
    return dataclasses.replace(limits, retries=0, deadline=5.0, workers=2)


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in TABLES}


def assert_whole(engine) -> None:
    """Nothing half-written: every article has its raw page, its relevance row and a feed that links it; every
    item marked done points at an article; no URL is stored twice."""
    with engine.connect() as conn:
        orphans = conn.execute(
            text(
                "SELECT COUNT(*) FROM articles a "
                "WHERE NOT EXISTS (SELECT 1 FROM raw_pages r WHERE r.article_id = a.id) "
                "OR NOT EXISTS (SELECT 1 FROM article_relevance v WHERE v.article_id = a.id) "
                "OR NOT EXISTS (SELECT 1 FROM article_sources s WHERE s.article_id = a.id)"
            )
        ).scalar()
        dangling = conn.execute(
            text("SELECT COUNT(*) FROM feed_items WHERE state = 'done' AND article_id IS NULL")
        ).scalar()
        twice = conn.execute(text("SELECT COUNT(*) - COUNT(DISTINCT url) FROM articles")).scalar()
    assert (orphans, dangling, twice) == (0, 0, 0)


def assert_day_complete(engine) -> None:
    assert_whole(engine)
    with engine.connect() as conn:
        urls = {u.rsplit("/", 1)[1].removesuffix(".html") for (u,) in conn.execute(text("SELECT url FROM articles"))}
        states = conn.execute(text("SELECT DISTINCT state FROM feed_items")).scalars().all()
    assert urls == set(ARTICLES) and states == ["done"]


def run(engine, taxonomy, tagger, rules, limits, feed_list, **options):
    with Fetcher(limits) as fetcher:
        return Pipeline(engine, tagger, taxonomy, rules, fetcher).run(feed_list, RunOptions(**options))


def no_lock_left(engine) -> None:
    """Another writer can take the write lock at once: nothing is left holding it."""
    probe = create_engine(engine.url, connect_args={"timeout": 0} if engine.dialect.name == "sqlite" else {})
    with probe.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL lock_timeout = '1s'"))
            conn.execute(text("LOCK TABLE articles, feed_items, sources IN EXCLUSIVE MODE"))
            idle = conn.execute(
                text(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' "
                    "AND pid <> pg_backend_pid() AND datname = current_database() "
                    "AND application_name = 'newsmon-robustness'"
                )
            ).scalar()
            assert idle == 0
        else:
            conn.execute(text("UPDATE sources SET enabled = enabled"))
    probe.dispose()


# ------------------------------------------------------------------ the database goes away
@pytest.mark.postgres
def test_the_warehouse_going_away_mid_transaction_leaves_nothing_half_written(
    tmp_path, site, taxonomy, tagger, rules, fetch_limits, monkeypatch
):
    """The server terminates the pipeline's connection while a feed's batch is half loaded (articles written,
    items not yet): the run fails loudly, the batch is rolled back whole, the rerun completes the day."""
    with fresh_warehouse("postgresql", tmp_path) as url:
        engine = make_engine(url + "&application_name=newsmon-robustness")
        admin = create_engine(POSTGRES_URL)
        real = batches.upsert_items
        killed = []

        def upsert_items_after_the_server_went_away(conn, *args, **kwargs):
            if not killed:
                pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
                with admin.begin() as other:
                    killed.append(other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar())
            return real(conn, *args, **kwargs)

        monkeypatch.setattr(batches, "upsert_items", upsert_items_after_the_server_went_away)
        with pytest.raises(DBAPIError):
            run(engine, taxonomy, tagger, rules, dataclasses.replace(fetch_limits, workers=1), feeds(site, "forward"))
        assert killed == [True]
        assert counts(engine)["articles"] == 0  # the articles of the killed transaction are gone with it
        with engine.connect() as conn:
            status, error = conn.execute(text("SELECT status, error FROM pipeline_runs")).one()
        assert status == "failed" and "warehouse error" in error
        monkeypatch.setattr(batches, "upsert_items", real)
        run(engine, taxonomy, tagger, rules, fetch_limits, feeds(site, "forward"))
        assert_day_complete(engine)
        no_lock_left(engine)
        engine.dispose()
        admin.dispose()


# ------------------------------------------------------------------ SIGKILL mid-transaction
LOADER = textwrap.dedent("""
    import sys, time
    from pipeline.config import FeedSource, load_cleaning, load_taxonomy
    from pipeline.fetching.http import Fetcher
    from pipeline.runs.live import Pipeline
    from pipeline.settings import PROJECT_ROOT, FetchLimits
    from pipeline.tagging import Tagger
    from pipeline.warehouse import batches
    from pipeline.warehouse.db import make_engine

    url, feed_url = sys.argv[1], sys.argv[2]
    real = batches.upsert_items

    def stall_mid_transaction(conn, *args, **kwargs):
        print("IN TRANSACTION", flush=True)  # articles, pages and tags are written, not committed
        time.sleep(60)
        return real(conn, *args, **kwargs)
    batches.upsert_items = stall_mid_transaction
    taxonomy = load_taxonomy(PROJECT_ROOT / "config" / "taxonomy.yaml")
    rules = load_cleaning(PROJECT_ROOT / "config" / "cleaning.yaml")
    source = FeedSource(name="forward", url=feed_url, site=None, language="en", country="GB", perspective="western")
    limits = FetchLimits(deadline=5.0, retries=0, workers=2, private_allowlist=("127.0.0.1/32",))
    with Fetcher(limits) as fetcher:
        Pipeline(make_engine(url), Tagger(taxonomy), taxonomy, rules, fetcher).run([source])
""")


@pytest.mark.parametrize("kind", WAREHOUSE_KINDS)
def test_a_load_killed_with_sigkill_mid_transaction_leaves_nothing_half_written(
    kind, tmp_path, site, taxonomy, tagger, rules, fetch_limits
):
    with fresh_warehouse(kind, tmp_path) as url:
        if kind == "postgresql":
            url += "&application_name=newsmon-robustness"
        engine = make_engine(url)
        upgrade(engine)
        loader = subprocess.Popen(
            [sys.executable, "-c", LOADER, url, site.url("/forward.rss")],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            line = wait_for_line(loader, "IN TRANSACTION", timeout=60)
            assert line, loader.stderr.read() if loader.poll() is not None else "loader never reached the load"
            os.kill(loader.pid, signal.SIGKILL)
            assert loader.wait(10) == -signal.SIGKILL
        finally:
            if loader.poll() is None:
                loader.kill()
                loader.wait()
        time.sleep(0.2 if kind == "sqlite" else 0.5)  # PostgreSQL notices the closed socket and rolls back
        assert counts(engine)["articles"] == 0 and counts(engine)["feed_items"] == 0
        with engine.connect() as conn:
            assert conn.execute(text("SELECT status FROM pipeline_runs")).scalar() == "running"  # it never finished
        no_lock_left(engine)
        run(engine, taxonomy, tagger, rules, fetch_limits, feeds(site, "forward"), triggered_by="rerun")
        assert_day_complete(engine)
        engine.dispose()


def wait_for_line(process: subprocess.Popen, expected: str, timeout: float) -> str | None:
    found: list[str] = []

    def read():
        for line in process.stdout:
            if expected in line:
                found.append(line)
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    return found[0] if found else None


# ------------------------------------------------------------------ two runs at once
RUNNER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from pipeline.config import FeedSource, load_cleaning, load_taxonomy
    from pipeline.fetching.http import Fetcher
    from pipeline.runs.live import Pipeline, RunOptions
    from pipeline.settings import PROJECT_ROOT, FetchLimits
    from pipeline.runs import ledger, live
    from pipeline.tagging import Tagger
    from pipeline.warehouse.db import make_engine

    url, name, meeting, *feed_urls = sys.argv[1:]
    ledger.refresh_summaries = lambda engine: None  # concurrent refreshes: test_two_summary_refreshes_at_once
    real, arrived = live.load_feed_batch, []

    def load_together(conn, *args, **kwargs):
        if not arrived:  # the first load of each run waits until the other run is at its first load too
            arrived.append(True)
            Path(meeting, name).touch()
            deadline = time.monotonic() + 60
            while len(list(Path(meeting).iterdir())) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
        return real(conn, *args, **kwargs)
    live.load_feed_batch = load_together
    taxonomy = load_taxonomy(PROJECT_ROOT / "config" / "taxonomy.yaml")
    rules = load_cleaning(PROJECT_ROOT / "config" / "cleaning.yaml")
    feeds = [FeedSource(name=u.rsplit("/", 1)[1].removesuffix(".rss"), url=u, site=None, language="en", country="GB",
                        perspective="western") for u in feed_urls]
    limits = FetchLimits(deadline=5.0, retries=0, workers=1, private_allowlist=("127.0.0.1/32",))
    with Fetcher(limits) as fetcher:
        report = Pipeline(make_engine(url), Tagger(taxonomy), taxonomy, rules, fetcher).run(
            feeds, RunOptions(triggered_by=name))
    print(json.dumps({"status": report.status, "counts": report.counts.as_row()}))
""")


@pytest.mark.parametrize("kind", WAREHOUSE_KINDS)
def test_two_runs_of_the_same_day_at_once(kind, tmp_path, site):
    """A scheduled run and a manual one, two processes started together whose first loads enter their
    transactions at the same instant and write the same articles in opposite orders: both finish, nothing is
    stored twice, no lock is left behind."""
    with fresh_warehouse(kind, tmp_path) as url:
        if kind == "postgresql":
            url += "&application_name=newsmon-robustness"
        engine = make_engine(url)
        upgrade(engine)
        meeting = tmp_path / "meeting"
        meeting.mkdir()
        orders = {"scheduled": ("forward", "backward"), "manual": ("backward", "forward")}
        runs = {
            name: subprocess.Popen(
                [sys.executable, "-c", RUNNER, url, name, str(meeting), *[site.url(f"/{feed}.rss") for feed in order]],
                cwd=PROJECT_ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name, order in orders.items()
        }
        outcomes = {}
        try:
            for name, process in runs.items():
                out, err = process.communicate(timeout=120)  # a deadlock would hang here
                outcomes[name] = (process.returncode, out, err[-2000:])
        finally:
            for process in runs.values():
                if process.poll() is None:
                    process.kill()
                    process.wait()
        assert_day_complete(engine)
        assert counts(engine)["articles"] == len(ARTICLES)
        assert counts(engine)["article_sources"] == 2 * len(ARTICLES)  # each article, from both feeds
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM pipeline_runs WHERE status = 'ok'")).scalar() == 2
        no_lock_left(engine)
        engine.dispose()
        assert all(code == 0 and '"status": "ok"' in out for code, out, _ in outcomes.values()), outcomes


@pytest.mark.postgres
def test_two_summary_refreshes_at_once(tmp_path, site, taxonomy, tagger, rules, fetch_limits):
    from pipeline.warehouse.summaries import refresh_summaries

    with fresh_warehouse("postgresql", tmp_path) as url:
        engines = [make_engine(url), make_engine(url)]
        run(engines[0], taxonomy, tagger, rules, fetch_limits, feeds(site, "forward"))
        together, errors = threading.Barrier(2, timeout=30), []

        def refresh(engine):
            together.wait()
            try:
                refresh_summaries(engine, full=True)
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=refresh, args=(engine,)) for engine in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        for engine in engines:
            engine.dispose()
        assert errors == []


# ------------------------------------------------------------------ a replay and a run on one day
def wire_copy(slug: str, credit: bytes = b""):
    """The article page republished by a wire service at its own address, with no canonical link back: the same
    text, or with `credit`, a near-duplicate (the wire's credit line added to the article)."""
    import re

    page = (SITE_DIR / "articles" / f"{slug}.html").read_bytes()
    page = re.sub(rb'<link rel="canonical"[^>]*>|<meta property="og:url"[^>]*>', b"", page)
    if credit:
        longest = max(re.finditer(rb"<p>([^<]+)</p>", page), key=lambda m: len(m.group(1)))  # the article's
        page = page[: longest.end(1)] + b" " + credit + page[longest.end(1) :]

    def handler(h):
        h.send_body(200, page.replace(b"{{BASE}}", h.server.base_url.encode()), "text/html; charset=utf-8")

    return handler


WIRE_ROUTES = {f"/wire/{slug}.html": wire_copy(slug) for slug in ARTICLES}
WIRE_FEED = "".join(
    f"<item><title>{s}</title><link>{{{{BASE}}}}/wire/{s}.html</link><guid>w-{s}</guid></item>" for s in ARTICLES
)
WIRE_ROUTES["/wire.rss"] = serve(f'<rss version="2.0"><channel><title>w</title>{WIRE_FEED}</channel></rss>'.encode())
NEAR_CREDIT = b"Correspondents of the Caspian Wire in Moscow and Tehran contributed to this report on Thursday."
WIRE_ROUTES.update({f"/near/{slug}.html": wire_copy(slug, NEAR_CREDIT) for slug in ARTICLES})
WIRE_ROUTES["/near.rss"] = serve(
    f'<rss version="2.0"><channel><title>n</title>{WIRE_FEED.replace("/wire/", "/near/")}</channel></rss>'.encode()
)


def split_stories(engine) -> int:
    """Texts whose copies sit in more than one story."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT COUNT(*) FROM (SELECT text_hash FROM articles GROUP BY text_hash "
                "HAVING COUNT(DISTINCT story_id) > 1) split"
            )
        ).scalar_one()


@pytest.mark.postgres
@pytest.mark.parametrize("order", ["run first", "replay first", "together"])
def test_a_replay_and_a_run_of_one_day_leave_one_story_per_text(order, tmp_path, taxonomy, tagger, rules, fetch_limits):
    """The stored articles of a day were extracted by older rules (their text and fingerprints differ from what
    extraction gives now); a replay rebuilds them while a run loads wire copies of the same pages at other
    addresses. Whichever commits first — and when both go at once — every text ends in one story, the oldest,
    and the stories view counts each story once with its two copies."""
    from pipeline.runs.replay import replay_interval
    from pipeline.stories.minhash import minhash_to_bytes, text_minhash
    from pipeline.vocabulary import day_interval

    with SampleSite(routes={**ROUTES, **WIRE_ROUTES}) as server, fresh_warehouse("postgresql", tmp_path) as url:
        engine = make_engine(url)
        run(engine, taxonomy, tagger, rules, fetch_limits, feeds(server, "forward"))
        with engine.begin() as conn:  # what older extraction rules had stored
            for (article_id,) in conn.execute(text("SELECT id FROM articles")).all():
                older = f"older extraction of article {article_id}, boilerplate and all, long since changed"
                conn.execute(
                    text("UPDATE articles SET text = :t, text_hash = :h, minhash = :m WHERE id = :id"),
                    {
                        "t": older,
                        "h": f"older-{article_id}",
                        "m": minhash_to_bytes(text_minhash(older)),
                        "id": article_id,
                    },
                )
        days = [day for (day,) in engine.connect().execute(text("SELECT DISTINCT day FROM articles"))]
        span = (day_interval(min(days))[0], day_interval(max(days))[1])
        wire = feeds(server, "wire")

        def live():
            run(make_engine(url), taxonomy, tagger, rules, fetch_limits, wire)

        def replay():
            replay_interval(make_engine(url), taxonomy, rules, *span, tagger=tagger)

        if order == "run first":
            live(), replay()
        elif order == "replay first":
            replay(), live()
        else:
            threads = [threading.Thread(target=job) for job in (live, replay)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
        with engine.connect() as conn:
            articles, stories = conn.execute(text("SELECT COUNT(*), COUNT(DISTINCT story_id) FROM articles")).one()
            in_view = conn.execute(text("SELECT COUNT(*), SUM(copies) FROM stories")).one()
            oldest = conn.execute(
                text(
                    "SELECT COUNT(*) FROM articles a JOIN articles s ON s.id = a.story_id "
                    "WHERE s.url LIKE '%/articles/%'"
                )
            ).scalar_one()
        assert (articles, stories, split_stories(engine)) == (2 * len(ARTICLES), len(ARTICLES), 0)
        assert tuple(in_view) == (len(ARTICLES), 2 * len(ARTICLES))
        assert oldest == 2 * len(ARTICLES)  # every story is the one of the article stored first
        no_lock_left(engine)
        engine.dispose()


@pytest.mark.postgres
def test_two_processes_loading_copies_of_one_wire_story_at_once_make_one_story(tmp_path):
    """Two runs in two processes, started together, whose first loads meet: one loads the articles, the other
    near-duplicate wire copies of them (a credit line added, other addresses). The second to commit finds the
    first one's copies through the warehouse's story index: six stories of two copies each."""
    with SampleSite(routes={**ROUTES, **WIRE_ROUTES}) as server, fresh_warehouse("postgresql", tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        meeting = tmp_path / "meeting"
        meeting.mkdir()
        runs = {
            name: subprocess.Popen(
                [sys.executable, "-c", RUNNER, url, name, str(meeting), server.url(path)],
                cwd=PROJECT_ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name, path in (("articles", "/forward.rss"), ("copies", "/near.rss"))
        }
        outcomes = {name: process.communicate(timeout=120) for name, process in runs.items()}
        assert all(process.returncode == 0 for process in runs.values()), outcomes
        from pipeline.warehouse.summaries import refresh_summaries

        refresh_summaries(engine)  # the runs leave it to the next refresh (see RUNNER)
        with engine.connect() as conn:
            articles, stories = conn.execute(text("SELECT COUNT(*), COUNT(DISTINCT story_id) FROM articles")).one()
            hashes = conn.execute(text("SELECT COUNT(DISTINCT text_hash) FROM articles")).scalar_one()
            copies = conn.execute(text("SELECT COUNT(*), MIN(copies), MAX(copies) FROM stories")).one()
        assert (articles, hashes) == (2 * len(ARTICLES), 2 * len(ARTICLES))  # near-duplicates, not exact copies
        assert stories == len(ARTICLES) and tuple(copies) == (len(ARTICLES), 2, 2)
        engine.dispose()
