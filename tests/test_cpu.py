"""Extraction and tagging on every core (pipeline/runs/cpu.py): a run, a replay and a retag on worker processes
store exactly what they store in one process, and a page's failure in a worker comes back to its page."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from pipeline.records import ItemOutcome
from pipeline.runs.article import Page
from pipeline.runs.cpu import ArticleBuilder
from pipeline.runs.replay import replay_interval
from pipeline.runs.retag import retag_articles
from pipeline.tagging import Tagger
from pipeline.vocabulary import ItemState
from pipeline.warehouse.db import make_engine
from tests.conftest import fresh_warehouse
from tests.sample_warehouse import LIMITS, fill_from_sample_site

ALL_TIME = (datetime(1990, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
TWO = dataclasses.replace(LIMITS, cpu_workers=2)


def stored(engine) -> dict:
    """What a run leaves, without the ids and times that differ between two warehouses."""
    with engine.connect() as conn:
        articles = sorted(
            conn.execute(
                text("SELECT url, title, text_hash, day, language, extraction_method, truncated FROM articles")
            ).all()
        )
        tags = sorted(
            conn.execute(
                text(
                    "SELECT a.url, t.topic, t.score, t.evidence FROM article_topics t "
                    "JOIN articles a ON a.id = t.article_id"
                )
            ).all()
        )
        relevance = sorted(
            conn.execute(
                text(
                    "SELECT a.url, r.relevant, r.score, r.evidence FROM article_relevance r "
                    "JOIN articles a ON a.id = r.article_id"
                )
            ).all()
        )
        items = sorted(conn.execute(text("SELECT url, state, last_error FROM feed_items")).all())
        copies: dict[int, set[str]] = {}
        for url, story in conn.execute(text("SELECT url, story_id FROM articles")):
            copies.setdefault(story, set()).add(url)
    # which article a story is named after depends on which feed committed first; which copies it holds does not
    stories = sorted(tuple(sorted(urls)) for urls in copies.values())
    found = {"articles": articles, "topics": tags, "relevance": relevance, "items": items, "stories": stories}
    return {  # each run had the sample site on a port of its own
        name: [
            tuple(re.sub(r"http://127\.0\.0\.1:\d+", "", v) if isinstance(v, str) else v for v in row) for row in rows
        ]
        for name, rows in found.items()
    }


@pytest.mark.slow
def test_a_run_a_replay_and_a_retag_on_two_workers_store_what_one_process_stores(tmp_path, taxonomy, tagger, rules):
    with fresh_warehouse("sqlite", tmp_path / "one") as one_url, fresh_warehouse("sqlite", tmp_path / "two") as two_url:
        one, two = make_engine(one_url), make_engine(two_url)
        fill_from_sample_site(one, taxonomy, tagger, rules)
        report = fill_from_sample_site(two, taxonomy, tagger, rules, TWO)
        assert report.counts.articles_new > 30
        assert stored(two) == stored(one)

        for engine in (one, two):  # damage the stored text: the replays must restore it the same way
            with engine.begin() as conn:
                conn.execute(text("UPDATE articles SET text = 'damaged', title = 'damaged'"))
        replay_interval(one, taxonomy, rules, *ALL_TIME, tagger=tagger)
        replayed = replay_interval(two, taxonomy, rules, *ALL_TIME, tagger=tagger, limits=TWO)
        assert replayed.counts.articles_updated == report.counts.articles_new
        assert stored(two) == stored(one)

        revised = Tagger(dataclasses.replace(taxonomy, version="cpu-test-2"), tagger.model)
        single = retag_articles(one, revised, make_current=True)
        spread = retag_articles(two, revised, make_current=True, limits=TWO)
        assert dataclasses.asdict(spread) == dataclasses.asdict(single) and spread.articles > 30
        assert stored(two) == stored(one)
        one.dispose()
        two.dispose()


@pytest.mark.slow
def test_a_page_that_fails_in_a_worker_fails_in_its_place(taxonomy, tagger, rules):
    """A page over its time budget comes back as ExtractionTimeout for that page; the pages around it are built."""
    from pipeline.extraction.extract import ExtractionTimeout

    article = b"<html><body><article>" + b"<p>Russia and Iran signed a treaty in Moscow today.</p>" * 20
    huge = b"<html><body>" + b"<div><p>word " * 200_000 + b"</body></html>"
    item = ItemOutcome("h", "http://127.0.0.1/a", None, "t", None, None, None, ItemState.PENDING)
    limits = dataclasses.replace(TWO, isolate_bytes=50_000, page_seconds=0.05)  # the big page: no time

    def page(body: bytes) -> Page:
        return Page("http://127.0.0.1/a", None, body, "text/html", datetime(2025, 1, 1, tzinfo=UTC), "en")

    with ArticleBuilder(tagger, rules, limits) as builder:
        built = builder.build_many([(page(article), item, None), (page(huge), item, None), (page(article), item, None)])
        assert builder.pool is not None  # two worker processes did the work
        with pytest.raises(ExtractionTimeout):
            builder.build(page(huge), item)
    assert built[0].text and built[2].text == built[0].text and built[0].day == date(2025, 1, 1)
    assert isinstance(built[1], ExtractionTimeout)


def test_one_worker_builds_in_this_process_and_starts_none(tagger, rules):
    with ArticleBuilder(tagger, rules, LIMITS) as builder:
        tags = builder.tag_many([("Russia and Iran", "Russia and Iran signed a defence pact in Moscow.")])
        assert builder.pool is None
    assert tags == [tagger.tag("Russia and Iran", "Russia and Iran signed a defence pact in Moscow.")]


@pytest.mark.slow
def test_the_page_threads_first_builds_start_one_pool(tagger, rules):
    """Sixteen page threads build their first page at the same moment: two workers start, not two per thread."""
    import multiprocessing
    from concurrent.futures import ThreadPoolExecutor

    item = ItemOutcome("h", "http://127.0.0.1/a", None, "t", None, None, None, ItemState.PENDING)
    page = Page(
        "http://127.0.0.1/a",
        None,
        b"<html><body><article><p>Russia and Iran signed a treaty in Moscow today.</p></article></body></html>",
        "text/html",
        datetime(2025, 1, 1, tzinfo=UTC),
        "en",
    )
    before = set(multiprocessing.active_children())
    with ArticleBuilder(tagger, rules, TWO) as builder, ThreadPoolExecutor(16) as threads:
        list(threads.map(lambda _: builder.build(page, item), range(16)))
        started = set(multiprocessing.active_children()) - before
    assert len(started) == 2
    assert not set(multiprocessing.active_children()) - before  # and they stop with the builder
