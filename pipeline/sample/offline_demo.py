"""`newsmon demo`: the whole pipeline over the bundled sample site on 127.0.0.1 into a SQLite warehouse."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config import load_cleaning, load_feeds, load_taxonomy
from pipeline.fetching.http import Fetcher
from pipeline.runs.ledger import RunReport, trend_summary
from pipeline.runs.live import Pipeline, RunOptions
from pipeline.sample.server import SITE_DIR, SampleSite
from pipeline.settings import Settings
from pipeline.tagging import load_tagger
from pipeline.vocabulary import RunMode
from pipeline.warehouse.db import make_engine

DEMO_FEEDS = SITE_DIR / "feeds.yaml"
LOOPBACK = ("127.0.0.1/32",)  # the sample site, and nothing else non-public
DEMO_PORT = 8765  # fixed, so that a second demo run sees the same article URLs and adds nothing


@dataclass
class DemoResult:
    report: RunReport
    summary: str


def run_demo(settings: Settings, warehouse_url: str, progress=None, port: int = DEMO_PORT) -> DemoResult:
    """Serve the sample site on loopback, run the pipeline once into `warehouse_url`, summarise the trends."""
    settings = settings.with_limits(
        private_allowlist=LOOPBACK, per_host_concurrency=4, deadline=10.0, retries=1, backoff=0.1
    )
    taxonomy = load_taxonomy(settings.taxonomy_path)
    rules = load_cleaning(settings.cleaning_path)
    engine = make_engine(warehouse_url)
    try:
        try:
            site = SampleSite(port=port)
        except OSError as exc:
            raise OSError(
                f"cannot serve the sample site on 127.0.0.1:{port} ({exc.strerror}); pass --port with a free port"
            ) from None
        with site, Fetcher(settings.limits) as fetcher:
            if progress:
                progress(f"sample news site serving on {site.base_url}")
            feeds = load_feeds(DEMO_FEEDS, base_url=site.base_url)
            pipeline = Pipeline(engine, load_tagger(taxonomy), taxonomy, rules, fetcher, progress)
            report = pipeline.run(feeds, RunOptions(mode=RunMode.DEMO, triggered_by="newsmon demo"))
        return DemoResult(report, trend_summary(engine, report))
    finally:
        engine.dispose()
