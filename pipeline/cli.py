"""`newsmon`: the command line of the pipeline. User errors are one line on stderr and a non-zero exit."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from .config import ConfigError
from .settings import SettingsError, load_settings
from .trends import QueryError
from .warehouse.db import WarehouseError

log = logging.getLogger("newsmon")
USER_ERRORS = (ConfigError, SettingsError, WarehouseError, QueryError, OSError)


class UsageError(ValueError):
    pass


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _engine(args, settings):
    from .warehouse.db import make_engine

    return make_engine(args.warehouse or settings.warehouse_url)


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{value!r} is not a date; use YYYY-MM-DD") from None


def cmd_demo(args, settings) -> int:
    from .demo import run_demo

    url = args.warehouse or f"sqlite:///{settings.data_dir / 'demo.sqlite'}"
    _progress(f"newsmon demo: bundled sample site → {url}")
    result = run_demo(settings, url, _progress, port=args.port)
    print(result.summary)
    print(f"\nExplore it: newsmon query --list; newsmon query weekly_defence_stories_since_treaty --warehouse {url}")
    return 0


def cmd_run(args, settings) -> int:
    from .config import load_cleaning, load_feeds, load_taxonomy
    from .demo import trend_summary
    from .httpclient import Fetcher
    from .runner import Pipeline, RunOptions, day_interval
    from .tag import Tagger

    if args.date and (args.start or args.end):
        raise UsageError("give either --date or --from/--to, not both")
    first = _parse_day(args.date or args.start) if (args.date or args.start) else date.today()
    last = _parse_day(args.end) if args.end else first
    if last < first:
        raise UsageError("--to is before --from")
    interval = (day_interval(first)[0], day_interval(last)[1])
    if args.allow_private_hosts:
        settings = settings.with_limits(allow_private_hosts=True)
    feeds = load_feeds(Path(args.feeds) if args.feeds else settings.feeds_path)
    taxonomy = load_taxonomy(settings.taxonomy_path)
    engine = _engine(args, settings)
    with Fetcher(settings.limits) as fetcher:
        pipeline = Pipeline(engine, Tagger(taxonomy), taxonomy, load_cleaning(settings.cleaning_path), fetcher, _progress)
        report = pipeline.run(feeds, RunOptions(mode="live", interval=interval, triggered_by="newsmon run",
                                                respect_backoff=not args.force))
    print(trend_summary(engine, report))
    return 0


def cmd_db(args, settings) -> int:
    from .warehouse.db import upgrade

    revision = upgrade(_engine(args, settings))
    print(f"warehouse at schema revision {revision}; views recreated")
    return 0


def cmd_query(args, settings) -> int:
    from .trends import format_table, list_queries, run_query

    if args.list or not args.name:
        for query in list_queries().values():
            params = ", ".join(f"{n}={d}" for n, (_, d) in query.params.items())
            print(f"{query.name}({params})\n    {query.question}")
        return 0
    values = {}
    for pair in args.param or []:
        name, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"--param {pair!r}: write it as name=value")
        values[name.strip()] = value
    columns, rows = run_query(_engine(args, settings), args.name, values)
    if args.format == "csv":
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        print(format_table(columns, rows) if rows else "(no rows)")
    return 0


def _jsonl(stream):
    """Yield (line number, object or error message) for each non-empty line."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"line {number}: invalid JSON ({exc.msg})"
            continue
        if not isinstance(obj, dict):
            yield number, None, f"line {number}: expected a JSON object"
            continue
        yield number, obj, None


def cmd_tag(args, settings) -> int:
    from .config import load_taxonomy
    from .tag import Tagger

    tagger = Tagger(load_taxonomy(settings.taxonomy_path))
    failures = 0
    for number, obj, error in _jsonl(sys.stdin):
        if error is None and not isinstance(obj.get("text"), str):
            error = f"line {number}: needs a \"text\" string"
        if error:
            failures += 1
            print(json.dumps({"id": obj.get("id") if obj else None, "error": error}), flush=True)
            print(f"newsmon tag: {error}", file=sys.stderr)
            continue
        result = tagger.tag(obj.get("title") or "", obj["text"])
        print(json.dumps(result.as_dict(obj.get("id")), ensure_ascii=False), flush=True)
    return 1 if failures else 0


def cmd_extract(args, settings) -> int:
    from .config import load_cleaning
    from .extract import extract_article

    rules = load_cleaning(settings.cleaning_path)
    failures = 0
    for number, obj, error in _jsonl(sys.stdin):
        if error is None and not isinstance(obj.get("html"), str):
            error = f"line {number}: needs an \"html\" string"
        if error:
            failures += 1
            print(json.dumps({"id": obj.get("id") if obj else None, "error": error}), flush=True)
            print(f"newsmon extract: {error}", file=sys.stderr)
            continue
        extracted = extract_article(obj["html"], obj.get("url"), rules, declared_language=obj.get("lang"))
        print(extracted.as_json(obj.get("id")), flush=True)
    return 1 if failures else 0


def cmd_feed(args, settings) -> int:
    from .feeds import parse_feed

    failures = 0
    for name in args.files:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            failures += 1
            print(f"newsmon feed: cannot read {path}: {exc.strerror}", file=sys.stderr)
            continue
        parsed = parse_feed(data, {"content-type": args.content_type} if args.content_type else {}, None)
        if parsed.problem:
            print(f"newsmon feed: {path}: {parsed.problem}", file=sys.stderr)
        for entry in parsed.entries:
            print(json.dumps({
                "file": str(path), "url": entry.url, "guid": entry.guid, "title": entry.title,
                "published": entry.published_at.isoformat() if entry.published_at else None,
                "published_raw": entry.published_raw, "date_problem": entry.date_problem,
                "authors": list(entry.authors), "summary": entry.summary,
            }, ensure_ascii=False))
    return 1 if failures else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsmon", description="Russia–Iran news-monitoring pipeline.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what each stage does")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_warehouse(p):
        p.add_argument("--warehouse", metavar="URL",
                       help="SQLAlchemy URL of the warehouse (default: $NEWSMON_WAREHOUSE_URL or data/warehouse.sqlite)")
        return p

    demo = with_warehouse(sub.add_parser("demo", help="run the pipeline over the bundled sample site (offline)"))
    demo.add_argument("--port", type=int, default=8765, help="loopback port for the sample site (default 8765)")
    demo.set_defaults(func=cmd_demo)
    run = with_warehouse(sub.add_parser("run", help="fetch the configured feeds into the warehouse"))
    run.add_argument("--date", help="the day this run covers (YYYY-MM-DD, default today)")
    run.add_argument("--from", dest="start", help="first day of a range")
    run.add_argument("--to", dest="end", help="last day of a range")
    run.add_argument("--feeds", help="feed list (default config/feeds.yaml)")
    run.add_argument("--force", action="store_true", help="also fetch feeds slowed down after repeated failures")
    run.add_argument("--allow-private-hosts", action="store_true",
                     help="allow loopback/private addresses (testing against a local server only)")
    run.set_defaults(func=cmd_run)
    db = with_warehouse(sub.add_parser("db", help="warehouse schema"))
    db.add_argument("action", choices=["upgrade"], help="upgrade: apply migrations and recreate the views")
    db.set_defaults(func=cmd_db)
    query = with_warehouse(sub.add_parser("query", help="run a documented trend query from sql/queries"))
    query.add_argument("name", nargs="?", help="query name (see --list)")
    query.add_argument("--list", action="store_true", help="list the queries and their parameters")
    query.add_argument("--param", action="append", metavar="NAME=VALUE", help="a query parameter (repeatable)")
    query.add_argument("--format", choices=["table", "csv"], default="table")
    query.set_defaults(func=cmd_query)
    tag = sub.add_parser("tag", help="tag JSON Lines articles from stdin: {id, title, text, lang?, url?}")
    tag.set_defaults(func=cmd_tag)
    extract = sub.add_parser("extract", help="extract JSON Lines pages from stdin: {id, url, html}")
    extract.set_defaults(func=cmd_extract)
    feed = sub.add_parser("feed", help="parse saved feed files as the fetcher does; print entries as JSON Lines")
    feed.add_argument("files", nargs="+")
    feed.add_argument("--content-type", help="Content-Type header to assume (charset matters)")
    feed.set_defaults(func=cmd_feed)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args, load_settings())
    except (UsageError, *USER_ERRORS) as exc:
        print(f"newsmon {args.command}: {exc}", file=sys.stderr)
        return 2
    except DBAPIError as exc:
        print(f"newsmon {args.command}: the warehouse failed: {exc.orig}. Check --warehouse / "
              "NEWSMON_WAREHOUSE_URL and that the database is running.", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("newsmon: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
