"""Runs that end cleanly and count honestly: signals, abandoned runs, skipped feeds, one-off feed lists, item caps."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from pipeline.config import FeedSource, load_feeds
from pipeline.fetching.http import Fetcher
from pipeline.runs.live import Pipeline, RunOptions
from pipeline.sample.server import SITE_DIR, SampleSite
from pipeline.settings import PROJECT_ROOT
from pipeline.vocabulary import RunMode
from pipeline.warehouse.db import make_engine
from pipeline.warehouse.pipeline_runs import close_stale_runs, start_run
from tests.faults import fault_routes


def feed(name, url):
    return FeedSource(name=name, url=url, site=None, language="en", country="GB", perspective="western")


def run_with(engine, taxonomy, tagger, rules, limits, feeds, **options):
    with Fetcher(limits) as fetcher:
        return Pipeline(engine, tagger, taxonomy, rules, fetcher).run(feeds, RunOptions(triggered_by="test", **options))


@pytest.mark.slow  # a real `newsmon run` process, signalled while a page is under way
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_new_work_keeps_what_finished_and_marks_the_run_interrupted(tmp_path, signum):
    """A real `newsmon run` (one feed at a time) gets SIGINT or SIGTERM once its first feed is stored: the feed
    under way finishes, the rest are skipped, the run is `interrupted`, the exit is prompt, and a rerun does the
    rest."""
    with SampleSite(routes=fault_routes()) as site:
        feeds = tmp_path / "feeds.yaml"
        slow = "".join(
            f"  - name: Slow {n}\n    url: {site.url('/fault/slow')}?{n}\n    language: en\n"
            f"    country: GB\n    perspective: western\n"
            for n in range(4)
        )
        feeds.write_text(
            "feeds:\n  - name: Caspian Dispatch\n    url: "
            + site.url("/feeds/world.rss")
            + "\n    language: en\n    country: GB\n    perspective: western\n"
            + slow,
            encoding="utf-8",
        )
        url = f"sqlite:///{tmp_path / 'w.sqlite'}"
        env = {
            **os.environ,
            "NEWSMON_WORKERS": "1",
            "NEWSMON_FETCH_DEADLINE": "2",
            "NEWSMON_RETRIES": "0",
            "NEWSMON_PRIVATE_ALLOWLIST": "127.0.0.1/32",
            "NEWSMON_FEEDS": str(feeds),
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "run", "--warehouse", url],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for line in process.stderr:
            if line.startswith("[1/5]"):
                break
        process.send_signal(signum)
        started = time.monotonic()
        out, err = process.communicate(timeout=60)
        assert time.monotonic() - started < 20, "the run did not stop within the deadline of the fetch under way"
        assert process.returncode == 130 and "Traceback" not in err, err
        engine = make_engine(url)
        with engine.connect() as conn:
            run = (
                conn.execute(text("SELECT status, feeds_ok, feeds_skipped, articles_new, error FROM pipeline_runs"))
                .mappings()
                .one()
            )
            articles = conn.execute(text("SELECT COUNT(*) FROM articles")).scalar()
        assert run["status"] == "interrupted" and run["feeds_skipped"] >= 2 and "interrupted" in run["error"]
        assert run["articles_new"] == articles > 0  # the finished feed is stored
        assert "skipped" in out
        rerun = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "run", "--warehouse", url],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert rerun.returncode == 0, rerun.stderr
        with engine.connect() as conn:
            statuses = conn.execute(text("SELECT status FROM pipeline_runs ORDER BY id")).scalars().all()
            assert conn.execute(text("SELECT COUNT(*) FROM articles")).scalar() == articles  # nothing twice
        assert statuses == ["interrupted", "partial"]  # the slow feeds time out: partial, not skipped
        engine.dispose()


def test_a_run_left_running_by_a_dead_process_or_for_too_long_is_closed_as_abandoned(engine, taxonomy):
    dead = subprocess.Popen(["true"])
    dead.wait()
    now = datetime.now(UTC)
    with engine.begin() as conn:
        gone = start_run(conn, "live", now, None, "newsmon run", taxonomy.version)
        conn.execute(text("UPDATE pipeline_runs SET pid = :pid WHERE id = :id"), {"pid": dead.pid, "id": gone})
        old = start_run(conn, "live", now - timedelta(days=3), None, "airflow", taxonomy.version)
        alive = start_run(conn, "live", now, None, "airflow", taxonomy.version)
    with engine.begin() as conn:
        closed = close_stale_runs(conn, now)
    assert sorted(closed) == sorted([gone, old])
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, status FROM pipeline_runs")).all())
        errors = dict(conn.execute(text("SELECT id, error FROM pipeline_runs")).all())
    assert rows == {gone: "abandoned", old: "abandoned", alive: "running"}
    assert "is gone" in errors[gone] and "still running" in errors[old]


def test_newsmon_runs_lists_the_runs_and_refresh_brings_the_summaries_up(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    engine = make_engine(url)
    from pipeline.warehouse.db import upgrade

    upgrade(engine)
    with engine.begin() as conn:
        start_run(conn, "live", datetime.now(UTC), None, "newsmon run", "2026.1")
    engine.dispose()
    listed = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "runs", "--warehouse", url],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0 and "running" in listed.stdout and "newsmon run" in listed.stdout
    refreshed = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "refresh", "--warehouse", url],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refreshed.returncode == 0 and "refreshed" in refreshed.stdout


def test_skipped_feeds_are_counted_as_skipped_not_fetched(engine, taxonomy, tagger, rules, limits):
    with SampleSite(routes=fault_routes()) as site:
        feeds = [feed("Good", site.url("/feeds/world.rss")), feed("Gone", site.url("/fault/404"))]
        for _ in range(2):  # two permanent failures in a row slow the dead feed down
            run_with(engine, taxonomy, tagger, rules, limits, feeds)
        third = run_with(engine, taxonomy, tagger, rules, limits, feeds)
    assert third.counts.feeds_skipped == 1 and third.counts.feeds_ok == 1 and third.counts.feeds_failed == 0
    from pipeline.sample.offline_demo import trend_summary

    assert "1 of 2 feeds fetched, 0 failed, 1 skipped" in trend_summary(engine, third)


def test_a_one_off_feed_list_disables_no_configured_source(engine, taxonomy, tagger, rules, limits):
    with SampleSite(routes=fault_routes()) as site:
        configured = load_feeds(SITE_DIR / "feeds.yaml", base_url=site.base_url)
        run_with(engine, taxonomy, tagger, rules, limits, configured)
        run_with(engine, taxonomy, tagger, rules, limits, configured[:1], configured_feeds=False)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM sources WHERE enabled = FALSE")).scalar() == 0
        run_with(engine, taxonomy, tagger, rules, limits, configured[:1])  # the configured list says so: disabled
        with engine.connect() as conn:
            assert (
                conn.execute(text("SELECT COUNT(*) FROM sources WHERE enabled = FALSE")).scalar() == len(configured) - 1
            )


@pytest.mark.slow  # a feed of hundreds of pages, run three times
def test_a_feed_over_the_item_cap_leaves_the_rest_for_the_next_runs(engine, taxonomy, tagger, rules, limits):
    with SampleSite(routes=fault_routes()) as site:
        feeds = [feed("World", site.url("/feeds/world.rss"))]
        capped = dataclasses.replace(limits, max_items_per_feed=3)
        first = run_with(engine, taxonomy, tagger, rules, capped, feeds)
        with engine.connect() as conn:
            waiting = conn.execute(
                text(
                    "SELECT COUNT(*) FROM feed_items WHERE state = 'failed' "
                    "AND last_error LIKE 'waiting: over this run''s cap%'"
                )
            ).scalar()
        assert first.counts.articles_new == 3 and waiting > 0
        total = 3
        for _ in range(12):  # each later run takes the next three; nothing is fetched twice
            total += run_with(engine, taxonomy, tagger, rules, capped, feeds).counts.articles_new
        with engine.connect() as conn:
            left = conn.execute(text("SELECT COUNT(*) FROM feed_items WHERE state = 'failed'")).scalar()
            stored = conn.execute(text("SELECT COUNT(*) FROM articles")).scalar()
        assert left == 0 and stored == total


@pytest.mark.parametrize("fault", ["the byte cap", "no network"])
def test_when_every_feed_fails_the_same_way_no_source_is_slowed_down(engine, taxonomy, tagger, rules, limits, fault):
    """A local fault — a byte cap smaller than any feed, or no network (here: nothing listening) — is charged to
    the run, not to the sources."""
    with SampleSite(routes=fault_routes()) as site:
        feeds = [feed("World", site.url("/feeds/world.rss")), feed("Region", site.url("/feeds/region.atom"))]
        if fault == "no network":
            closed = f"http://127.0.0.1:{_free_port()}"
            broken, faulty = [dataclasses.replace(f, url=f.url.replace(site.base_url, closed)) for f in feeds], limits
        else:
            broken, faulty = feeds, dataclasses.replace(limits, max_bytes=200)
        for _ in range(3):  # three in a row would slow a failing source down
            report = run_with(engine, taxonomy, tagger, rules, faulty, broken)
        assert report.status == "failed" and report.counts.feeds_failed == 2
        with engine.connect() as conn:
            state = conn.execute(text("SELECT MAX(consecutive_failures), MAX(next_fetch_after) FROM sources")).one()
            error = conn.execute(text("SELECT error FROM pipeline_runs ORDER BY id DESC LIMIT 1")).scalar()
        assert tuple(state) == (0, None)
        assert f"every feed failed the same way ({fault})" in error
        healthy = run_with(engine, taxonomy, tagger, rules, limits, feeds)  # the fault mended: fetched at once
    assert healthy.counts.feeds_ok == 2 and healthy.counts.feeds_skipped == 0


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_run_records_what_the_caps_cut(engine, taxonomy, tagger, rules, limits):
    with SampleSite(routes=_big_site_routes(2)) as site:
        small = dataclasses.replace(limits, max_extract_bytes=700, max_tag_chars=1000)  # pages are ~1.1 kB
        run_with(engine, taxonomy, tagger, rules, small, [feed("Big", site.url("/big.rss"))])
    with engine.connect() as conn:
        cut = conn.execute(text("SELECT truncated FROM articles")).scalars().all()
    assert len(cut) == 2 and all(c.startswith("page cut at 700 of 1085 bytes") for c in cut)


def test_the_summaries_follow_what_was_committed_even_when_the_run_then_fails(engine, taxonomy, tagger, rules, limits):
    """A feed is committed, then the run ends with an error: the views still show the committed articles."""
    with SampleSite() as site, Fetcher(limits) as fetcher:
        world = load_feeds(SITE_DIR / "feeds.yaml", base_url=site.base_url)[0]
        pipeline = Pipeline(engine, tagger, taxonomy, rules, fetcher)
        run_id, source_ids = pipeline.ledger.open(RunMode.LIVE, taxonomy, triggered_by="test", feeds=[world])
        report = pipeline.run_feed(world, source_ids[world.name], run_id)
        pipeline.ledger.close(run_id, [report], 1, error="warehouse error: the connection dropped")
    with engine.connect() as conn:
        in_views = conn.execute(text("SELECT COALESCE(SUM(articles), 0) FROM topic_weekly")).scalar()
        status = conn.execute(text("SELECT status FROM pipeline_runs WHERE id = :id"), {"id": run_id}).scalar()
    assert report.counts.articles_relevant > 0 and status == "failed" and in_views > 0


def _big_site_routes(count: int) -> dict:
    """A feed of `count` items, each linking to an article page of its own."""

    def page(n):
        html = (
            f"<html><head><title>Russia and Iran, day {n}</title></head><body><article><h1>Day {n}</h1>"
            + "".join(
                f"<p>Russia and Iran signed agreement {n}.{k} on gas supplies through Gazprom, officials "
                f"in Moscow and Tehran said on day {n}.</p>"
                for k in range(8)
            )
            + "</article></body></html>"
        ).encode()
        return lambda h: h.send_body(200, html, "text/html; charset=utf-8")

    def feed_xml(h):
        items = "".join(
            f"<item><title>Day {n}</title><link>{h.server.base_url}/big/{n}.html</link><guid>big-{n}</guid></item>"
            for n in range(count)
        )
        h.send_body(
            200,
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'.encode(),
            "application/rss+xml",
        )

    return {"/big.rss": feed_xml, **{f"/big/{n}.html": page(n) for n in range(count)}}


@pytest.mark.slow  # a feed of 250 pages, interrupted and run again
def test_a_big_feed_is_committed_in_chunks_and_an_interruption_keeps_them(engine, taxonomy, tagger, rules, limits):
    """250 items: after the first chunk of 100 is committed the run is stopped; the chunk stays, the rest are
    recorded as pending, and the next run takes them up — 250 articles in the end, none twice."""
    with SampleSite(routes=_big_site_routes(250)) as site:
        feeds = [feed("Big", site.url("/big.rss"))]
        roomy = dataclasses.replace(limits, max_items_per_feed=1000)
        with Fetcher(roomy) as fetcher:
            pipeline = Pipeline(engine, tagger, taxonomy, rules, fetcher)

            def stop_after_the_first_chunk(message):
                if "100/250 items committed" in message:
                    pipeline.stop.set()

            pipeline.progress = stop_after_the_first_chunk
            first = pipeline.run(feeds, RunOptions(triggered_by="test"))
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT COUNT(*) FROM articles")).scalar()
            states = dict(conn.execute(text("SELECT state, COUNT(*) FROM feed_items GROUP BY state")).all())
        assert first.status == "interrupted" and stored == first.counts.articles_new >= 100
        assert sum(states.values()) == 250 and states.get("done", 0) == stored
        second = run_with(engine, taxonomy, tagger, rules, roomy, feeds)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM articles")).scalar() == 250
            assert conn.execute(text("SELECT COUNT(DISTINCT url) FROM articles")).scalar() == 250
            assert conn.execute(text("SELECT state FROM feed_items GROUP BY state")).scalars().all() == ["done"]
        assert second.status == "ok" and second.counts.articles_new == 250 - stored


def test_a_page_over_its_time_budget_is_recorded_and_the_feed_goes_on(engine, taxonomy, tagger, rules, limits):
    with SampleSite(routes=_big_site_routes(3)) as site:
        feeds = [feed("Big", site.url("/big.rss"))]
        strict = dataclasses.replace(limits, isolate_bytes=1000, page_seconds=0.05)  # every page, no time
        report = run_with(engine, taxonomy, tagger, rules, strict, feeds)
        with engine.connect() as conn:
            errors = conn.execute(text("SELECT state, last_error FROM feed_items")).all()
        assert report.status == "ok" and report.counts.articles_new == 0
        assert len(errors) == 3 and all(state == "gone" and "budget" in error for state, error in errors)
        again = run_with(engine, taxonomy, tagger, rules, strict, feeds)
        assert again.counts.articles_new == 0 and again.counts.items_seen == 0  # gone: not fetched again
        roomy = dataclasses.replace(limits, isolate_bytes=1000, page_seconds=120)  # isolated, with time enough
        other = [feed("Big elsewhere", site.url("/big.rss") + "?elsewhere")]
        assert run_with(engine, taxonomy, tagger, rules, roomy, other).counts.articles_new == 3
