"""The demo through Airflow itself: `news_daily` over the bundled sample site with `dag.test()`, on an embedded
SQLite metadata database, into the SQLite warehouse, then the trend summary.

    python -m pipeline_airflow.demo [--warehouse URL] [--port 8765]
    python -m pipeline_airflow.demo --serve    # only serve the sample site, for runs triggered from the UI

Airflow reads its settings when first imported, so this module sets them (AIRFLOW_HOME in data/airflow, examples
off, the project's dags folder) before importing it; variables already set in the environment win.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from pipeline.settings import PROJECT_ROOT, load_settings

DEMO_PORT = 8765  # fixed, like `newsmon demo`: a second run sees the same URLs and adds nothing


def airflow_environment(data_dir: Path) -> dict[str, str]:
    home = data_dir / "airflow"
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "NEWSMON_PRIVATE_ALLOWLIST": "127.0.0.1/32",  # this process is the deployment: the sample site only
    }


def prepare_metadata() -> None:
    """Migrate the metadata database (quick when it is current) and create the feed-fetching pool."""
    from airflow.models.pool import Pool
    from airflow.utils.db import check_migrations, initdb

    try:
        check_migrations(timeout=0)
    except TimeoutError:
        initdb()
    from pipeline_airflow.assets import FETCH_POOL, FETCH_POOL_SLOTS

    Pool.create_or_update_pool(FETCH_POOL, FETCH_POOL_SLOTS, "concurrent feed fetches", include_deferred=False)


def run_report(engine):
    """The latest run as the pipeline reports it (for pipeline.sample.offline_demo.trend_summary)."""
    from sqlalchemy import text

    from pipeline.runs.live import FeedReport, RunReport, new_counts

    with engine.connect() as conn:
        run = conn.execute(text("SELECT * FROM pipeline_runs ORDER BY id DESC LIMIT 1")).mappings().one()
        feeds = conn.execute(
            text(
                "SELECT s.name, f.status, f.reason FROM fetch_log f JOIN sources s ON s.id = f.source_id "
                "WHERE f.run_id = :run AND f.kind = 'feed' ORDER BY s.name"
            ),
            {"run": run["id"]},
        ).all()
    counts = {key: run[key] for key in new_counts(0)}
    return RunReport(run["id"], run["status"], counts, [FeedReport(n, s, r or "") for n, s, r in feeds])


def serve_sample_site(port: int) -> int:
    """Serve the sample site until interrupted; print the news_daily conf that points at it."""
    import time

    from pipeline.sample.server import SITE_DIR, SampleSite

    with SampleSite(port=port) as site:
        conf = {
            "feeds_path": str(SITE_DIR / "feeds.yaml"),
            "feeds_base_url": site.base_url,
            "private_hosts": "127.0.0.1/32",
        }
        print(f"sample news site on {site.base_url}; trigger news_daily with this configuration JSON:")
        print(json.dumps(conf, indent=2), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline_airflow.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", help="SQLAlchemy URL (default: data/demo.sqlite)")
    parser.add_argument("--port", type=int, default=DEMO_PORT, help="loopback port for the sample site")
    parser.add_argument(
        "--serve",
        action="store_true",
        help="only serve the sample site and print the run conf to paste into Trigger (Ctrl-C stops)",
    )
    args = parser.parse_args(argv)
    if args.serve:
        return serve_sample_site(args.port)
    settings = load_settings()
    for key, value in airflow_environment(settings.data_dir).items():
        os.environ.setdefault(key, value)
    url = args.warehouse or f"sqlite:///{settings.data_dir / 'demo.sqlite'}"
    os.environ["AIRFLOW_CONN_NEWS_WAREHOUSE"] = json.dumps({"conn_type": "generic", "extra": {"sqlalchemy_url": url}})
    Path(os.environ["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)

    from airflow.dag_processing.dagbag import DagBag

    from pipeline.sample.offline_demo import trend_summary
    from pipeline.sample.server import SITE_DIR, SampleSite
    from pipeline.warehouse.db import make_engine

    print(f"Airflow metadata: {os.environ['AIRFLOW_HOME']} (SQLite); warehouse: {url}", file=sys.stderr)
    prepare_metadata()
    dag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"]).dags["news_daily"]
    with SampleSite(port=args.port) as site:
        print(f"sample news site serving on {site.base_url}; running news_daily with dag.test()", file=sys.stderr)
        dag_run = dag.test(
            run_conf={
                "feeds_path": str(SITE_DIR / "feeds.yaml"),
                "feeds_base_url": site.base_url,
                "private_hosts": "127.0.0.1/32",
                "mode": "live",
            }
        )
    if dag_run.state != "success":
        print(
            f"news_daily ended {dag_run.state}; see the task logs in {os.environ['AIRFLOW_HOME']}/logs", file=sys.stderr
        )
        return 1
    engine = make_engine(url)
    try:
        print(trend_summary(engine, run_report(engine)))
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
