"""The `newsmon` command line, run as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from pipeline.sample.server import SITE_DIR
from pipeline.settings import PROJECT_ROOT


def newsmon(*args, stdin: str | None = None, env: dict | None = None):
    import os

    environment = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=environment,
        timeout=300,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_tag_reads_and_writes_json_lines():
    lines = [
        {
            "id": 1,
            "title": "Russia and Iran sign treaty",
            "text": "Presidents Putin and Pezeshkian signed a strategic partnership treaty in Moscow on Friday.",
        },
        {"id": 2, "title": "Weather", "text": "It rained in Paris all weekend."},
    ]
    result = newsmon("tag", stdin="\n".join(json.dumps(line) for line in lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == [1, 2]
    assert out[0]["relevant"] is True and "diplomacy" in {t["topic"] for t in out[0]["topics"]}
    assert all({"topic", "score", "evidence"} <= set(t) for t in out[0]["topics"])
    assert out[1]["relevant"] is False and out[1]["topics"] == []


def test_tag_reports_a_bad_line_and_goes_on():
    result = newsmon("tag", stdin='{"id": 1, "text": "Russia and Iran signed a treaty."}\nnot json\n{"id": 3}\n')
    assert result.returncode == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 3 and "relevant" in out[0]
    assert out[1]["error"].startswith("line 2: invalid JSON") and "text" in out[2]["error"]
    assert "Traceback" not in result.stderr


def test_extract_reads_pages_as_json_lines():
    html = (SITE_DIR / "articles" / "russia-iran-20-year-strategic-partnership.html").read_text(encoding="utf-8")
    result = newsmon("extract", stdin=json.dumps({"id": "a", "url": "https://example.org/a", "html": html}) + "\n")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["title"] == "Russia and Iran sign a new 20-year strategic partnership"
    assert out["authors"] == ["Fabio Di Felice"] and out["lang"] == "en" and out["method"] == "trafilatura"
    assert out["published"].startswith("2025-01-28")


def test_user_errors_are_one_line_without_traceback(tmp_path):
    bad_feeds = tmp_path / "feeds.yaml"
    bad_feeds.write_text(
        "feeds:\n  - name: x\n    url: https://x.example/rss\n    language: en\n    country: GB\n"
        "    perspective: neutral\n",
        encoding="utf-8",
    )
    cases = [
        (("run", "--feeds", str(bad_feeds), "--warehouse", f"sqlite:///{tmp_path}/w.sqlite"), "perspective: 'neutral'"),
        (("query", "topic_summary", "--warehouse", f"sqlite:///{tmp_path}/w.sqlite"), "run `newsmon db upgrade`"),
        (("query", "nope", "--warehouse", f"sqlite:///{tmp_path}/w.sqlite"), "no query named 'nope'"),
        (("query", "topic_summary", "--warehouse", "not-a-url"), "not a SQLAlchemy URL"),
        (("run", "--date", "yesterday"), "'yesterday' is not a date"),
        (("run", "--date", "9999-12-31", "--warehouse", f"sqlite:///{tmp_path}/far.sqlite"), "is outside 1990-01-01"),
        (
            ("replay", "--from", "1900-01-01", "--warehouse", f"sqlite:///{tmp_path}/far.sqlite"),
            "is outside 1990-01-01",
        ),
    ]
    for args, message in cases:
        result = newsmon(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "far.sqlite").exists()  # refused before any warehouse is created or migrated
    settings_error = newsmon("tag", stdin="", env={"NEWSMON_FETCH_DEADLINE": "soon"})
    assert settings_error.returncode == 2 and "NEWSMON_FETCH_DEADLINE" in settings_error.stderr


def test_db_upgrade_query_list_and_csv(tmp_path):
    url = f"sqlite:///{tmp_path}/w.sqlite"
    assert newsmon("db", "upgrade", "--warehouse", url).returncode == 0
    listing = newsmon("query", "--list")
    assert "weekly_defence_stories_since_treaty" in listing.stdout
    csv_out = newsmon("query", "topic_summary", "--format", "csv", "--warehouse", url)
    assert csv_out.returncode == 0 and csv_out.stdout.splitlines()[0].startswith("topic,articles,stories")


def test_feed_command_prints_entries(tmp_path):
    result = newsmon("feed", str(SITE_DIR / "feeds" / "world.rss"), str(tmp_path / "missing.xml"))
    assert result.returncode == 1 and "cannot read" in result.stderr
    entries = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(entries) == 14 and all(e["title"] for e in entries)


@pytest.mark.slow  # the whole demo, twice, in real `newsmon` processes
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_demo_prints_a_trend_summary_and_a_rerun_adds_nothing(kind, tmp_path):
    from tests.conftest import fresh_warehouse

    with fresh_warehouse(kind, tmp_path) as url:
        port = str(free_port())
        first = newsmon("demo", "--warehouse", url, "--port", port)
        assert first.returncode == 0, first.stderr
        assert "Russia–Iran coverage by topic" in first.stdout
        assert "diplomacy" in first.stdout and "35 new articles" in first.stdout
        assert "[4/4]" in first.stderr  # progress while it works
        engine = create_engine(url)
        with engine.connect() as conn:
            before = conn.execute(text("SELECT COUNT(*) FROM articles")).scalar()
        second = newsmon("demo", "--warehouse", url, "--port", port)
        assert second.returncode == 0 and "0 new articles" in second.stdout
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM articles")).scalar() == before == 35
        engine.dispose()


@pytest.mark.slow  # real `newsmon` processes that start a worker per core
def test_replay_rebuilds_past_days_without_the_network(tmp_path):
    url = f"sqlite:///{tmp_path}/w.sqlite"
    assert newsmon("demo", "--warehouse", url, "--port", str(free_port())).returncode == 0
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE articles SET text = 'damaged' WHERE day = '2025-01-28'"))
    result = newsmon("replay", "--from", "2025-01-27", "--to", "2025-02-02", "--warehouse", url)
    assert result.returncode == 0, result.stderr
    assert "updated" in result.stdout and " 0 failed" in result.stdout
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM articles WHERE text = 'damaged'")).scalar() == 0
        assert conn.execute(text("SELECT COUNT(*) FROM articles")).scalar() == 35
    engine.dispose()
    assert newsmon("replay", "--from", "2025-02-02", "--to", "2025-01-27", "--warehouse", url).returncode == 2


def test_streams_survive_undecodable_lines_in_any_locale():
    """A lone surrogate escape (valid JSON), invalid UTF-8 and a non-object are errors for their line only."""
    good = b'{"id": 1, "text": "Russia and Iran signed a treaty."}\n'
    stdin = good + b'{"id": 2, "text": "\\ud800 Russia and Iran"}\n' + b"\xff\xfe not utf-8\n" + b"[1]\n" + good
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "tag"],
        input=stdin,
        capture_output=True,
        cwd=PROJECT_ROOT,
        env={**__import__("os").environ, "LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": "ascii"},
        timeout=300,
    )
    assert b"Traceback" not in result.stderr
    out = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert len(out) == 5 and result.returncode == 1
    assert "relevant" in out[0] and "relevant" in out[1] and "relevant" in out[4]
    assert out[2]["error"].startswith("line 3: not UTF-8") and out[3]["error"] == "line 4: expected a JSON object"


def test_tag_and_extract_cap_what_one_line_may_cost():
    sentence = "Russia and Iran agreed to expand the supply of gas through Gazprom. "
    huge = {"id": "big", "title": "Gas", "text": sentence * 20_000}  # 1.4 MB of text
    result = newsmon("tag", stdin=json.dumps(huge) + "\n", env={"NEWSMON_MAX_TAG_CHARS": "50000"})
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["truncated"].startswith("tagged the first 50000 of") and out["relevant"]
    page = "<html><body><article><p>" + ("Russia and Iran signed a deal. " * 120_000) + "</p></article></body></html>"
    result = newsmon(
        "extract", stdin=json.dumps({"id": "p", "html": page}) + "\n", env={"NEWSMON_MAX_EXTRACT_BYTES": "200000"}
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["truncated"].startswith("page cut at 200000 of") and len(out["text"]) < 200_000
