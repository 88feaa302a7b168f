"""Smoke tests of the benchmark harness (`python -m bench …`): each runs on a tiny input and prints its tables.
They check that the benchmarks work, never how fast anything is."""

from __future__ import annotations

from datetime import date

import pytest

from bench.__main__ import main
from bench.extraction import DEFAULT_DATA, score_page


def test_the_benchmark_metric():
    assert score_page("a b c d e", "a b c d e") == (1.0, 1.0)
    assert score_page("a b c d e", "") == (None, 0.0)
    precision, recall = score_page("one two three four five", "one two three four six seven")
    assert precision == pytest.approx(1 / 3) and recall == pytest.approx(1 / 2)


@pytest.mark.skipif(not (DEFAULT_DATA / "ground-truth.json").exists(), reason="benchmark data not present")
def test_extraction_benchmark_runs(capsys):
    assert main(["extraction", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "newsmon" in out and "trafilatura" in out and "F1" in out


def test_throughput_benchmark_runs_on_the_generated_site():
    from bench.throughput import run_once

    result = run_once("sqlite", feeds=2, items=5, latency=0.0, workers=4, per_host=2)
    assert result["articles"] == 10 and result["failed"] == 0
    assert result["stages"]["extract + clean"] > 0


@pytest.mark.postgres
def test_warehouse_generator_and_summaries(request):
    from tests.conftest import _PG_PROBLEM

    if _PG_PROBLEM:
        pytest.skip(_PG_PROBLEM)
    from bench.synth import Shape
    from bench.warehouse import bench_schema, build_warehouse, time_queries, time_views
    from pipeline.warehouse.summaries import refresh_summaries

    with bench_schema("bench_smoke") as (url, _):
        engine, _ = build_warehouse(url, Shape(articles=2000), progress=lambda message: None)
        counts = refresh_summaries(engine)
        assert counts["summary_relevant_articles"] > 0 and counts["summary_stories"] > 0
        assert all(rows for _, rows, *_ in time_views(engine, date(2000, 1, 1)))
        assert len(time_queries(engine)) >= 6
        engine.dispose()


def test_tagging_benchmark_runs(capsys):
    from bench.bench_tag import main as bench_tag

    assert bench_tag(["--articles", "3", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert all(lang in out for lang in ("en", "ru", "fa", "mixed")) and "machine check" in out and "verdict" in out
