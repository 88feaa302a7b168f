"""Fill a warehouse once from the bundled sample site, served on 127.0.0.1 and shut down before the caller goes on
(so that whatever runs next provably works without the network)."""

from __future__ import annotations

from pipeline.config import load_feeds
from pipeline.fetching.http import Fetcher
from pipeline.runs.live import Pipeline, RunOptions, RunReport
from pipeline.sample.server import SITE_DIR, SampleSite
from pipeline.settings import FetchLimits

LIMITS = FetchLimits(deadline=5.0, retries=0, per_host_concurrency=4, private_allowlist=("127.0.0.1/32",))


def fill_from_sample_site(engine, taxonomy, tagger, rules, limits: FetchLimits = LIMITS) -> RunReport:
    with SampleSite() as site, Fetcher(limits) as fetcher:
        feeds = load_feeds(SITE_DIR / "feeds.yaml", base_url=site.base_url)
        return Pipeline(engine, tagger, taxonomy, rules, fetcher).run(feeds, RunOptions(triggered_by="test"))
