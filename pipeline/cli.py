"""`newsmon`: the command line of the pipeline. User errors are one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import cast

from sqlalchemy.exc import DBAPIError

from pipeline.config import ConfigError
from pipeline.settings import SettingsError, load_settings
from pipeline.tagging.model import ModelError
from pipeline.warehouse.db import WarehouseError
from pipeline.warehouse.trends import QueryError

log = logging.getLogger("newsmon")
USER_ERRORS = (ConfigError, SettingsError, WarehouseError, QueryError, OSError, ModelError)


class UsageError(ValueError):
    pass


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _engine(args, settings):
    from pipeline.warehouse.db import make_engine

    return make_engine(args.warehouse or settings.warehouse_url)


EARLIEST_DAY = date(1990, 1, 1)  # before the web, and before any source's archive


def _parse_day(value: str) -> date:
    """A YYYY-MM-DD day between 1990-01-01 and tomorrow (a run for a later day has nothing to fetch or replay)."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{value[:100]!r} is not a date; use YYYY-MM-DD") from None
    latest = date.today() + timedelta(days=1)
    if not EARLIEST_DAY <= day <= latest:
        raise UsageError(f"{value} is outside {EARLIEST_DAY} .. {latest}; give a day in that range")
    return day


def cmd_demo(args, settings) -> int:
    from pipeline.sample.offline_demo import run_demo

    url = args.warehouse or f"sqlite:///{settings.data_dir / 'demo.sqlite'}"
    _progress(f"newsmon demo: bundled sample site → {url}")
    result = run_demo(settings, url, _progress, port=args.port)
    print(result.summary)
    print(f"\nExplore it: newsmon query --list; newsmon query weekly_defence_stories_since_treaty --warehouse {url}")
    return 0


def cmd_run(args, settings) -> int:
    from pipeline.config import load_cleaning, load_feeds, load_taxonomy
    from pipeline.fetching.http import Fetcher
    from pipeline.runs.ledger import trend_summary
    from pipeline.runs.live import Pipeline, RunOptions
    from pipeline.tagging import load_tagger
    from pipeline.vocabulary import RunStatus, day_interval

    if args.date and (args.start or args.end):
        raise UsageError("give either --date or --from/--to, not both")
    first = _parse_day(args.date or args.start) if (args.date or args.start) else date.today()
    last = _parse_day(args.end) if args.end else first
    if last < first:
        raise UsageError("--to is before --from")
    interval = (day_interval(first)[0], day_interval(last)[1])
    if args.private_allowlist is not None:
        from pipeline.fetching.netguard import parse_private_allowlist

        try:
            allowlist = parse_private_allowlist(args.private_allowlist, "--private-allowlist")
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        settings = settings.with_limits(private_allowlist=allowlist)
    one_off = bool(args.feeds) and Path(args.feeds).resolve() != Path(settings.feeds_path).resolve()
    feeds = load_feeds(Path(args.feeds) if args.feeds else settings.feeds_path)
    if one_off:
        _progress(f"newsmon run: a one-off feed list ({args.feeds}): sources missing from it stay enabled")
    taxonomy = load_taxonomy(settings.taxonomy_path)
    engine = _engine(args, settings)
    with Fetcher(settings.limits) as fetcher:
        pipeline = Pipeline(
            engine, load_tagger(taxonomy), taxonomy, load_cleaning(settings.cleaning_path), fetcher, _progress
        )
        with _stop_on_signals(pipeline.stop):
            report = pipeline.run(
                feeds,
                RunOptions(
                    interval=interval,
                    triggered_by="newsmon run",
                    respect_backoff=not args.force,
                    configured_feeds=not one_off,
                ),
            )
    print(trend_summary(engine, report))
    if report.status == RunStatus.INTERRUPTED:
        print("newsmon run: interrupted; the finished feeds are stored, run it again for the rest", file=sys.stderr)
        return 130
    return 0


@contextlib.contextmanager
def _stop_on_signals(stop):
    """SIGINT/SIGTERM set `stop`: no new feed or page is started, what finished is committed, the run is recorded
    as interrupted. A second signal stops at once (KeyboardInterrupt)."""
    import signal

    def handler(signum, _frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        _progress(
            f"newsmon: {signal.Signals(signum).name}: finishing the pages under way, starting nothing new "
            "(send it again to stop at once)"
        )

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def cmd_runs(args, settings) -> int:
    from pipeline.warehouse.db import upgrade
    from pipeline.warehouse.pipeline_runs import latest_runs
    from pipeline.warehouse.trends import format_table

    engine = _engine(args, settings)
    upgrade(engine)
    with engine.connect() as conn:
        rows = latest_runs(conn, args.limit)
    columns = [
        "id",
        "mode",
        "status",
        "started_at",
        "finished_at",
        "feeds_ok",
        "feeds_failed",
        "feeds_skipped",
        "articles_new",
        "triggered_by",
        "error",
    ]
    print(
        format_table(columns, [[str(row[c])[:60] if row[c] is not None else "" for c in columns] for row in rows])
        if rows
        else "(no runs yet)"
    )
    return 0


def cmd_refresh(args, settings) -> int:
    from pipeline.warehouse.db import upgrade
    from pipeline.warehouse.summaries import refresh_summaries

    engine = _engine(args, settings)
    upgrade(engine)
    refresh_summaries(engine)
    print("trend summaries refreshed from the stored articles and tags")
    return 0


def cmd_replay(args, settings) -> int:
    from pipeline.config import load_cleaning, load_taxonomy
    from pipeline.runs.replay import replay_interval
    from pipeline.vocabulary import day_interval
    from pipeline.warehouse.db import upgrade

    first, last = _parse_day(args.start), _parse_day(args.end or args.start)
    if last < first:
        raise UsageError("--to is before --from")
    engine = _engine(args, settings)
    upgrade(engine)
    _progress(f"replaying the raw archive of {first} to {last} (no network)")
    report = replay_interval(
        engine,
        load_taxonomy(settings.taxonomy_path),
        load_cleaning(settings.cleaning_path),
        day_interval(first)[0],
        day_interval(last)[1],
        triggered_by="newsmon replay",
        limits=settings.limits,
        progress=_progress,
    )
    counts = report.counts
    unchanged = counts.items_seen - counts.articles_updated - counts.articles_failed
    print(
        f"replay run {report.run_id}: {counts.items_seen} archived articles from {counts.feeds_total} sources, "
        f"{counts.articles_updated} updated, {unchanged} unchanged, {counts.articles_failed} failed, "
        f"{counts.articles_relevant} relevant"
    )
    return 0


def cmd_db(args, settings) -> int:
    from pipeline.warehouse.db import upgrade

    revision = upgrade(_engine(args, settings))
    print(f"warehouse at schema revision {revision}; views recreated")
    return 0


def cmd_query(args, settings) -> int:
    from pipeline.warehouse.trends import format_table, list_queries, run_query

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


_SURROGATES = __import__("re").compile("[\ud800-\udfff]")


def _without_surrogates(value):
    """Lone surrogates (valid JSON escapes, invalid text) become U+FFFD, in every string of a parsed line."""
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    return value


def _jsonl(stream):
    """Yield (line number, object or None, error message or None) for each non-empty line of a binary stream.
    A line that is not UTF-8 or not a JSON object is an error for that line only."""
    for number, raw in enumerate(stream, 1):
        try:
            line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError as exc:
            yield number, None, f"line {number}: not UTF-8 (byte {exc.start + 1}: {exc.reason})"
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"line {number}: invalid JSON ({exc.msg})"
            continue
        except RecursionError:
            yield number, None, f"line {number}: JSON nested too deeply"
            continue
        if not isinstance(obj, dict):
            yield number, None, f"line {number}: expected a JSON object"
            continue
        yield number, _without_surrogates(obj), None


def _map_jsonl(command: str, required: str, handle) -> int:
    """Read JSON Lines on stdin, write one line per input: `handle(obj)`'s JSON, or {"id", "error"} for a line that
    cannot be read or processed; the stream always goes on. Input and output are UTF-8 whatever the locale."""
    cast(io.TextIOWrapper, sys.stdout).reconfigure(encoding="utf-8", errors="replace")  # typeshed says TextIO
    failures = 0
    for number, obj, error in _jsonl(sys.stdin.buffer):
        if error is None and not isinstance(obj.get(required), str):
            error = f'line {number}: needs a "{required}" string'
        if error is None:
            try:
                print(handle(obj), flush=True)
                continue
            except Exception as exc:  # one article's failure must not end the stream
                log.exception("line %s failed", number)
                error = f"line {number}: {type(exc).__name__}: {str(exc)[:100]}"
        failures += 1
        item_id = obj.get("id") if obj else None
        print(
            json.dumps(
                {"id": item_id if isinstance(item_id, (str, int)) else None, "error": error}, ensure_ascii=False
            ),
            flush=True,
        )
        print(f"newsmon {command}: {error}", file=sys.stderr)
    return 1 if failures else 0


def _tagger(args, settings, taxonomy_path=None):
    """The taxonomy's tagger: its trained model (--model, else beside the taxonomy), or the rules alone."""
    from pipeline.config import load_taxonomy
    from pipeline.tagging import Tagger, load_tagger

    spec = load_taxonomy(Path(taxonomy_path) if taxonomy_path else settings.taxonomy_path)
    if getattr(args, "rules_only", False):
        return Tagger(spec)
    return load_tagger(spec, getattr(args, "model", None))


def cmd_tag(args, settings) -> int:
    tagger = _tagger(args, settings)
    cap = settings.limits.max_tag_chars
    return _map_jsonl(
        "tag",
        "text",
        lambda obj: json.dumps(
            tagger.tag(obj.get("title") or "", obj["text"], max_chars=cap).as_dict(obj.get("id"), explain=args.explain),
            ensure_ascii=False,
        ),
    )


def cmd_train(args, settings) -> int:
    from pipeline.config import load_taxonomy
    from pipeline.settings import PROJECT_ROOT
    from pipeline.tagging import default_model_path
    from pipeline.tagging.training import train_model, training_sets

    spec = load_taxonomy(Path(args.taxonomy) if args.taxonomy else settings.taxonomy_path)
    corpus = Path(args.corpus) if args.corpus else PROJECT_ROOT / "eval" / "corpus" / "corpus.jsonl"
    devset = Path(args.devset) if args.devset else PROJECT_ROOT / "eval" / "devset"
    train, tune, synthetic = training_sets(corpus, devset)
    if not train and not synthetic:
        raise UsageError(f"no labelled articles to train on in {corpus} (split train) or {devset}")
    _progress(
        f"newsmon train: {len(train)} real and {len(synthetic)} synthetic training articles, {len(tune)} "
        f"tuning articles, taxonomy {spec.version}"
    )
    model = train_model(
        spec, train, tune, seed=args.seed, progress=_progress, synthetic=synthetic, use_rules=args.rule_verdicts
    )
    out = Path(args.out) if args.out else default_model_path(spec)
    model.save(out)
    print(
        f"wrote {out} ({out.stat().st_size // 1024} KiB; relevance: {len(model.relevance.vocabulary)} features, "
        f"threshold {model.header['relevance_threshold']:.3f}; topics: {len(model.topics.vocabulary)} features, "
        f"threshold {model.header['topic_threshold']:.3f}) for taxonomy {spec.version}"
    )
    return 0


def cmd_extract(args, settings) -> int:
    from pipeline.config import load_cleaning
    from pipeline.extraction.extract import extract_article

    rules = load_cleaning(settings.cleaning_path)
    cap = settings.limits.max_extract_bytes
    return _map_jsonl(
        "extract",
        "html",
        lambda obj: extract_article(
            obj["html"].encode("utf-8", "replace"),
            obj.get("url"),
            rules,
            declared_language=obj.get("lang"),
            max_bytes=cap,
            content_type="text/html; charset=utf-8",
        ).as_json(obj.get("id")),
    )


def _header_pairs(values: list[str]) -> dict[str, str]:
    """`Name: value` strings (as curl -H takes them) to a header dict with lower-case names."""
    headers = {}
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"--header {value!r}: write it as 'Name: value'")
        headers[name.strip().lower()] = content.strip()
    return headers


def cmd_feed(args, settings) -> int:
    from pipeline.fetching.feeds import parse_feed

    headers = _header_pairs(args.header or [])
    if args.content_type:
        headers["content-type"] = args.content_type
    failures = 0
    for name in args.files:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            failures += 1
            print(f"newsmon feed: cannot read {path}: {exc.strerror}", file=sys.stderr)
            continue
        parsed = parse_feed(data, headers, args.url)  # the call the fetcher makes with a response
        if not parsed.is_feed:
            failures += 1
            print(f"newsmon feed: {path}: not a feed ({parsed.problem or 'no feed elements'})", file=sys.stderr)
        elif parsed.problem:
            print(f"newsmon feed: {path}: {parsed.problem}", file=sys.stderr)
        for entry in parsed.entries:
            print(
                json.dumps(
                    {
                        "file": str(path),
                        "url": entry.url,
                        "guid": entry.guid,
                        "title": entry.title,
                        "published": entry.published_at.isoformat() if entry.published_at else None,
                        "published_raw": entry.published_raw,
                        "date_problem": entry.date_problem,
                        "authors": list(entry.authors),
                        "summary": entry.summary,
                    },
                    ensure_ascii=False,
                )
            )
    return 1 if failures else 0


def cmd_retag(args, settings) -> int:
    from pipeline.config import load_taxonomy
    from pipeline.runs.retag import current_version, pin_version, retag_articles
    from pipeline.tagging import load_tagger

    engine = _engine(args, settings)
    if args.pin:
        pin_version(engine, args.pin)
        print(f"trend views now read taxonomy version {args.pin}")
        return 0
    start = _parse_day(args.start) if args.start else None
    end = _parse_day(args.end) + timedelta(days=1) if args.end else None
    if start and end and end <= start:
        raise UsageError("--to is before --from")
    taxonomy = load_taxonomy(settings.taxonomy_path)
    _progress(
        f"newsmon retag: taxonomy {taxonomy.version}, days {start or 'all'} to {args.end or 'all'}"
        + (" (dry run)" if args.dry_run else "")
    )
    result = retag_articles(
        engine,
        load_tagger(taxonomy),
        start,
        end,
        dry_run=args.dry_run,
        make_current=not args.keep_current,
        limits=settings.limits,
    )
    print(result.summary())
    if not args.dry_run:
        print(f"trend views read taxonomy version {current_version(engine)}")
    return 0


def cmd_eval(args, settings) -> int:
    from pipeline.config import load_cleaning
    from pipeline.evaluate import evaluate, format_report, labelled_sets

    tagger = _tagger(args, settings, args.taxonomy)
    named = labelled_sets(
        args.paths, load_cleaning(settings.cleaning_path), site=args.site, split=args.split, lang=args.lang
    )
    summaries = {}
    for name, articles in named:
        report = evaluate(tagger, articles)
        summaries[name] = report.summary()
        if not args.json:
            print(format_report(report, name, show_errors=not args.quiet) + "\n")
    if args.json:
        print(
            json.dumps(
                {"taxonomy_version": tagger.version, "model": bool(tagger.model), "sets": summaries},
                ensure_ascii=False,
                indent=2,
            )
        )
    if args.save_scores:
        from pipeline.evaluate import save_scores

        save_scores(args.save_scores, tagger, summaries)
        print(
            f"saved the scores to {args.save_scores}: the test suite fails if they drop by more than 0.01",
            file=sys.stderr,
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsmon", description="Russia–Iran news-monitoring pipeline.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what each stage does")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_warehouse(p):
        p.add_argument(
            "--warehouse",
            metavar="URL",
            help="SQLAlchemy URL of the warehouse (default: $NEWSMON_WAREHOUSE_URL or data/warehouse.sqlite)",
        )
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
    run.add_argument(
        "--private-allowlist",
        metavar="NETWORKS",
        help="non-public networks this run may fetch from, e.g. 127.0.0.1/32 (a local test server "
        "only; replaces NEWSMON_PRIVATE_ALLOWLIST; link-local and metadata addresses never)",
    )
    run.set_defaults(func=cmd_run)
    runs = with_warehouse(
        sub.add_parser(
            "runs", help="list the latest runs and their state (running, ok, partial, failed, interrupted, abandoned)"
        )
    )
    runs.add_argument("--limit", type=int, default=20)
    runs.set_defaults(func=cmd_runs)
    refresh = with_warehouse(sub.add_parser("refresh", help="bring the trend summaries up to the stored articles"))
    refresh.set_defaults(func=cmd_refresh)
    replay = with_warehouse(
        sub.add_parser(
            "replay", help="rebuild past days from the stored raw pages: re-extract, re-clean, re-tag, reload"
        )
    )
    replay.add_argument("--from", dest="start", required=True, help="first day (YYYY-MM-DD)")
    replay.add_argument("--to", dest="end", help="last day, inclusive (default: the first day)")
    replay.set_defaults(func=cmd_replay)
    db = with_warehouse(sub.add_parser("db", help="warehouse schema"))
    db.add_argument("action", choices=["upgrade"], help="upgrade: apply migrations and recreate the views")
    db.set_defaults(func=cmd_db)
    query = with_warehouse(sub.add_parser("query", help="run a documented trend query from sql/queries"))
    query.add_argument("name", nargs="?", help="query name (see --list)")
    query.add_argument("--list", action="store_true", help="list the queries and their parameters")
    query.add_argument("--param", action="append", metavar="NAME=VALUE", help="a query parameter (repeatable)")
    query.add_argument("--format", choices=["table", "csv"], default="table")
    query.set_defaults(func=cmd_query)

    def with_model(p):
        p.add_argument(
            "--model",
            metavar="PATH",
            help="the trained topic model (default: $NEWSMON_TAGGER_MODEL, "
            "else tagger-model.npz beside the taxonomy file)",
        )
        p.add_argument("--rules-only", action="store_true", help="decide topics by the rules alone, without the model")
        return p

    tag = with_model(sub.add_parser("tag", help="tag JSON Lines articles from stdin: {id, title, text, lang?, url?}"))
    tag.add_argument(
        "--explain",
        action="store_true",
        help="add each decision's trace: the relevance rule, and each topic's strongest features",
    )
    tag.set_defaults(func=cmd_tag)
    train = sub.add_parser("train", help="rebuild the topic model from the labelled corpus and the taxonomy file")
    train.add_argument(
        "--corpus",
        help="labelled real-news corpus (default eval/corpus/corpus.jsonl; its train "
        "split trains, its dev split sets the threshold, its test split is never read)",
    )
    train.add_argument("--devset", help="synthetic labelled articles added to training (default eval/devset)")
    train.add_argument("--taxonomy", help="taxonomy file (default: the one in use)")
    train.add_argument("--out", help="where to write the model (default: beside the taxonomy file)")
    train.add_argument("--seed", type=int, default=0, help="random seed (the same seed gives the same file)")
    train.add_argument(
        "--rule-verdicts",
        action="store_true",
        help="also give the model the rules' own relevance and topic verdicts as features (the "
        "'hybrid' of docs/tagging.md: no better on the dev split, and slower)",
    )
    train.set_defaults(func=cmd_train)
    extract = sub.add_parser("extract", help="extract JSON Lines pages from stdin: {id, url, html}")
    extract.set_defaults(func=cmd_extract)
    feed = sub.add_parser("feed", help="parse saved feed files as the fetcher does; print entries as JSON Lines")
    feed.add_argument("files", nargs="+")
    feed.add_argument(
        "--header",
        action="append",
        metavar="'NAME: VALUE'",
        help="an HTTP response header to assume, as the server sent it (repeatable)",
    )
    feed.add_argument("--content-type", help="shorthand for --header 'Content-Type: VALUE' (the charset matters)")
    feed.add_argument("--url", help="the URL the file was fetched from (base for relative links)")
    feed.set_defaults(func=cmd_feed)
    retag = with_warehouse(sub.add_parser("retag", help="re-tag stored articles with the taxonomy file in use"))
    retag.add_argument("--from", dest="start", help="first day (YYYY-MM-DD; default: every stored article)")
    retag.add_argument("--to", dest="end", help="last day, inclusive")
    retag.add_argument("--dry-run", action="store_true", help="tag and compare with the current version, write nothing")
    retag.add_argument(
        "--keep-current",
        action="store_true",
        help="store the new version's tags but leave the trend views on the current version",
    )
    retag.add_argument("--pin", metavar="VERSION", help="only make a stored version the one the trend views read")
    retag.set_defaults(func=cmd_retag)
    evaluation = with_model(
        sub.add_parser("eval", help="score the tagger on labelled articles (dev set and sample site)")
    )
    evaluation.add_argument(
        "paths",
        nargs="*",
        help="JSON Lines files or folders of labelled articles, or a folder "
        "with a manifest.yaml (default: eval/devset and the sample site)",
    )
    evaluation.add_argument("--site", action="store_true", help="also score the bundled sample site's manifest")
    evaluation.add_argument("--lang", choices=["en", "ru", "fa"], help="only articles in this language")
    evaluation.add_argument("--split", help="only articles of this split (e.g. tuning, blind)")
    evaluation.add_argument("--taxonomy", help="taxonomy file to score (default: the one in use)")
    evaluation.add_argument("--quiet", action="store_true", help="scores only, no list of errors")
    evaluation.add_argument("--json", action="store_true", help="print the summary scores as JSON")
    evaluation.add_argument(
        "--save-scores",
        metavar="PATH",
        help="write the scores as the new floor the test suite guards (eval/scores/dev.json)",
    )
    evaluation.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return args.func(args, load_settings())
    except (UsageError, *USER_ERRORS) as exc:
        print(f"newsmon {args.command}: {exc}", file=sys.stderr)
        return 2
    except DBAPIError as exc:
        print(
            f"newsmon {args.command}: the warehouse failed: {exc.orig}. Check --warehouse / "
            "NEWSMON_WAREHOUSE_URL and that the database is running.",
            file=sys.stderr,
        )
        return 3
    except KeyboardInterrupt:
        print("newsmon: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
