"""A generated news site on loopback for the throughput benchmark: N feeds of M articles spread over 20 hosts
(127.0.0.2-127.0.0.21), pages of realistic size and markup (site chrome, share bars, related links, scripts,
700-900 words of article text), every response delayed by a configurable server latency."""

from __future__ import annotations

import random
import time
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from pipeline.sample.server import SampleSite

HOSTS = tuple(f"127.0.0.{i}" for i in range(2, 22))
DAY = datetime(2026, 10, 30, 6, tzinfo=UTC)
WORDS = [
    "Russia",
    "Iran",
    "Moscow",
    "Tehran",
    "minister",
    "agreement",
    "corridor",
    "railway",
    "Rasht",
    "Astara",
    "loan",
    "gas",
    "Gazprom",
    "oil",
    "sanctions",
    "trade",
    "wheat",
    "rouble",
    "rial",
    "payment",
    "bank",
    "Mir",
    "Shetab",
    "nuclear",
    "Bushehr",
    "Rosatom",
    "satellite",
    "launch",
    "defence",
    "drills",
    "Caspian",
    "navy",
    "drones",
    "delegation",
    "talks",
    "summit",
    "cooperation",
    "transport",
    "energy",
    "industry",
    "investment",
    "officials",
    "week",
    "year",
    "project",
    "construction",
    "memorandum",
    "signed",
    "according",
    "agency",
    "reported",
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "on",
    "for",
    "with",
    "said",
    "that",
    "was",
    "by",
    "as",
    "at",
    "from",
    "will",
    "its",
    "new",
    "their",
    "has",
    "have",
    "been",
]
CHROME = """<header class="site-header"><div class="logo"><a href="/">Loopback Daily</a></div>
<nav class="main-nav"><ul>{menu}</ul></nav><form class="search"><input name="q"><button>Search</button></form></header>"""
SHARE = """<div class="share-bar"><p>Share on:</p><a href="#">Facebook</a> <a href="#">X</a> <a href="#">Telegram</a>
<a href="#">WhatsApp</a> <a href="#">Email</a></div>"""
SCRIPT = (
    "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
    + "gtag('js',new Date());gtag('config','UA-0000');" * 20
    + "</script>"
)


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 24))]
    return " ".join(words).capitalize() + "."


def article_html(feed: int, item: int, base: str) -> bytes:
    """One article page, the same bytes for the same (feed, item)."""
    rng = random.Random(feed * 100_003 + item)
    title = f"Russia and Iran: {' '.join(rng.choice(WORDS) for _ in range(6))} ({feed}-{item})"
    paragraphs = "\n".join(
        f"<p>{' '.join(sentence(rng) for _ in range(rng.randint(3, 5)))}</p>" for _ in range(rng.randint(9, 12))
    )
    menu = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(25))
    related = "".join(f'<li><a href="/f{feed}/a{(item + k) % 97}.html">{sentence(rng)}</a></li>' for k in range(8))
    published = (DAY - timedelta(minutes=item * 7)).isoformat()
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | Loopback Daily</title>
<meta property="og:title" content="{title}"><meta property="og:site_name" content="Loopback Daily {feed % 20}">
<meta property="article:published_time" content="{published}"><meta name="author" content="Desk {feed}">
<link rel="canonical" href="{base}/f{feed}/a{item}.html"><style>{".x{color:red}" * 200}</style>{SCRIPT}</head>
<body>{CHROME.format(menu=menu)}<main><article><h1>{title}</h1><div class="byline">By Desk {feed}</div>
{SHARE}<div class="article-body">{paragraphs}</div><p>Follow us on Telegram, Facebook and X.</p>{SHARE}</article>
<aside class="related"><h2>Related</h2><ul>{related}</ul></aside></main>
<footer><p>Copyright 2026 Loopback Daily. All rights reserved.</p><ul>{menu}</ul></footer>{SCRIPT}</body></html>
""".encode()


def feed_rss(feed: int, items: int, base: str) -> bytes:
    entries = "".join(
        f"<item><title>Item {feed}-{i}</title><link>{base}/f{feed}/a{i}.html</link>"
        f"<guid>{base}/f{feed}/a{i}.html</guid><pubDate>{format_datetime(DAY - timedelta(minutes=i * 7))}</pubDate>"
        f"<description>Summary of item {i}.</description></item>"
        for i in range(items)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {feed}</title>'
        f"<link>{base}/</link><description>generated</description>{entries}</channel></rss>"
    ).encode()


class _Routes(dict):
    """Paths of the generated site, answered after the configured latency."""

    def __init__(self, host_index: int, items: int, latency: float):
        super().__init__()
        self.host_index, self.items, self.latency = host_index, items, latency

    def get(self, path, default=None):
        return lambda handler: self.answer(handler, path)

    def answer(self, handler, path: str):
        time.sleep(self.latency)
        base = handler.server.base_url
        if path == "/robots.txt":
            return handler.send_body(200, b"User-agent: *\nAllow: /\n", "text/plain")
        if path.startswith("/feed-") and path.endswith(".rss"):
            return handler.send_body(200, feed_rss(int(path[6:-4]), self.items, base), "application/rss+xml")
        if path.startswith("/f") and "/a" in path and path.endswith(".html"):
            feed, item = path[2:-5].split("/a")
            return handler.send_body(200, article_html(int(feed), int(item), base), "text/html; charset=utf-8")
        return handler.send_body(404, b"not found", "text/plain")


@contextmanager
def news_site(items_per_feed: int, latency: float, separate_process: bool = False):
    """Start one server per loopback host; yields their base URLs. With `separate_process` the servers run in a
    process of their own, as remote servers would: they do not share the measured process's interpreter lock."""
    if separate_process:
        with _site_process(items_per_feed, latency) as bases:
            yield bases
        return
    with ExitStack() as stack:
        sites = [SampleSite(host=host) for host in HOSTS]
        for index, site in enumerate(sites):
            site.server.routes = _Routes(index, items_per_feed, latency)  # every path is generated
            stack.enter_context(site)
        yield [site.base_url for site in sites]


def _serve(items_per_feed: int, latency: float, ready, stop) -> None:
    with news_site(items_per_feed, latency) as bases:
        ready.send(bases)
        stop.wait()


@contextmanager
def _site_process(items_per_feed: int, latency: float):
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    ready, ready_in = context.Pipe(duplex=False)
    stop = context.Event()
    process = context.Process(target=_serve, args=(items_per_feed, latency, ready_in, stop), daemon=True)
    process.start()
    try:
        if not ready.poll(60):
            raise RuntimeError("the generated news site did not start within 60 s")
        yield ready.recv()
    finally:
        stop.set()
        process.join(10)
        if process.is_alive():
            process.kill()


def feed_sources(bases: list[str], feeds: int):
    """The feed list: feed k on host k mod 20."""
    from pipeline.config import FeedSource

    return [
        FeedSource(
            name=f"Generated feed {k}",
            url=f"{bases[k % len(bases)]}/feed-{k}.rss",
            site=None,
            language="en",
            country="GB",
            perspective="western",
        )
        for k in range(feeds)
    ]
