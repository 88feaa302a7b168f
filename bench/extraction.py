"""Extraction quality on the article-extraction benchmark: our stored text against plain trafilatura and
readability-lxml, scored with the benchmark's shingle metric, with pages per second measured in the same run."""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.settings import PROJECT_ROOT

from .table import print_table, ratio

DEFAULT_DATA = PROJECT_ROOT.parent / "shared" / "bench-data" / "article-extraction"
_TOKEN = re.compile(r"\w+", re.UNICODE)
SHINGLE = 4
TARGET_F1 = 0.970
WARM_UP_PAGES = 10


@dataclass
class Scores:
    """Per-page (precision or None when the output is empty, recall) and the time spent."""

    name: str
    pages: list[tuple[float | None, float]] = field(default_factory=list)
    seconds: float = 0.0

    def precision(self, empty_is_zero: bool = False) -> float:
        values = (
            [p if p is not None else 0.0 for p, _ in self.pages]
            if empty_is_zero
            else [p for p, _ in self.pages if p is not None]
        )
        return statistics.fmean(values) if values else 0.0

    def recall(self) -> float:
        return statistics.fmean(r for _, r in self.pages)

    def f1(self, empty_is_zero: bool = False) -> float:
        return harmonic(self.precision(empty_is_zero), self.recall())

    def empty(self) -> int:
        return sum(1 for p, _ in self.pages if p is None)


def harmonic(a: float, b: float) -> float:
    return 2 * a * b / (a + b) if a + b else 0.0


def shingles(text: str) -> Counter:
    tokens = _TOKEN.findall(text or "")
    return Counter(" ".join(tokens[i : i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1)) if tokens)


def score_page(truth: str, predicted: str) -> tuple[float | None, float]:
    """Shingle-multiset precision (None for an empty output) and recall of one page."""
    expected, got = shingles(truth), shingles(predicted)
    tp = sum((expected & got).values())
    fp, fn = sum(got.values()) - tp, sum(expected.values()) - tp
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall


def load_pages(data: Path, limit: int | None = None) -> list[tuple[str, str, bytes, str]]:
    """(item id, url, html bytes, true article body) for each page of the benchmark."""
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)
    if limit:
        ids = random.Random(6).sample(ids, min(limit, len(ids)))
    return [
        (i, truth[i]["url"], gzip.decompress((data / "html" / f"{i}.html.gz").read_bytes()), truth[i]["articleBody"])
        for i in ids
    ]


def newsmon_extractor() -> Callable[[bytes, str], str]:
    from pipeline.config import load_cleaning
    from pipeline.extraction.extract import extract_article

    rules = load_cleaning(PROJECT_ROOT / "config" / "cleaning.yaml")
    return lambda html, url: extract_article(html, url, rules).text


def trafilatura_extractor() -> Callable[[bytes, str], str]:
    import trafilatura

    return lambda html, url: trafilatura.extract(html.decode("utf-8"), url=url) or ""


def readability_extractor() -> Callable[[bytes, str], str] | None:
    try:
        from lxml import html as lxml_html
        from readability import Document
    except ImportError:
        return None

    def extract(html: bytes, url: str) -> str:
        summary = Document(html.decode("utf-8"), url=url).summary(html_partial=True)
        tree = lxml_html.fromstring(summary)
        for block in tree.iter("p", "div", "h1", "h2", "h3", "h4", "li", "br", "blockquote", "tr"):
            block.tail = "\n" + (block.tail or "")
        return tree.text_content()

    return extract


def extractors() -> dict[str, Callable[[bytes, str], str]]:
    found = {
        "newsmon": newsmon_extractor(),
        "trafilatura": trafilatura_extractor(),
        "readability-lxml": readability_extractor(),
    }
    return {name: fn for name, fn in found.items() if fn is not None}


def run_extractors(pages, chosen: dict[str, Callable]) -> dict[str, Scores]:
    """Each page goes through every extractor in turn, so that machine load hits all of them alike. An untimed pass
    over the first pages comes first: loading models and locale data is a per-process cost, not a per-page one."""
    scores = {name: Scores(name) for name in chosen}
    for _, url, html, _ in pages[:WARM_UP_PAGES]:
        for extract in chosen.values():
            extract(html, url)
    for _, url, html, truth in pages:
        for name, extract in chosen.items():
            start = time.perf_counter()
            try:
                text = extract(html, url)
            except Exception:  # an extractor that crashes on a page scores an empty output there
                text = ""
            scores[name].seconds += time.perf_counter() - start
            scores[name].pages.append(score_page(truth, text))
    return scores


def bootstrap_f1_gap(a: Scores, b: Scores, rounds: int = 1000) -> tuple[float, float]:
    """95% interval of F1(a) - F1(b) over pages resampled with replacement (the same pages for both)."""
    rng, n, gaps = random.Random(6), len(a.pages), []
    for _ in range(rounds):
        picks = [rng.randrange(n) for _ in range(n)]
        gaps.append(Scores("", [a.pages[i] for i in picks]).f1() - Scores("", [b.pages[i] for i in picks]).f1())
    gaps.sort()
    return gaps[int(0.025 * rounds)], gaps[int(0.975 * rounds) - 1]


def report(scores: dict[str, Scores], pages: int) -> None:
    base = scores["trafilatura"]
    rows = []
    for s in scores.values():
        speed = pages / s.seconds if s.seconds else 0.0
        rows.append(
            (
                s.name,
                f"{s.f1():.4f}",
                f"{s.precision():.4f}",
                f"{s.recall():.4f}",
                f"{s.f1(empty_is_zero=True):.4f}",
                s.empty(),
                f"{speed:.1f}",
                ratio(speed, pages / base.seconds),
            )
        )
    print_table(
        f"Extraction quality, {pages} pages (shingle F1; precision over non-empty outputs)",
        ["extractor", "F1", "precision", "recall", "F1 (empty=0)", "empty", "pages/s", "speed vs trafilatura"],
        rows,
    )
    ours = scores["newsmon"]
    low, high = bootstrap_f1_gap(ours, base)
    speed_ratio = base.seconds / ours.seconds
    print(
        f"\nnewsmon - trafilatura F1: {ours.f1() - base.f1():+.4f} (95% bootstrap interval {low:+.4f} .. {high:+.4f})"
    )
    print(
        f"target F1 >= {TARGET_F1}: {'met' if ours.f1() >= TARGET_F1 else 'NOT met'}; "
        f"above trafilatura: {'yes' if ours.f1() > base.f1() else 'NO'}; "
        f"speed >= 0.5x trafilatura: {'yes' if speed_ratio >= 0.5 else 'NO'} ({speed_ratio:.2f}x)"
    )


def main(args) -> int:
    data = Path(args.data or os.environ.get("NEWSMON_BENCH_DATA") or DEFAULT_DATA)
    if not (data / "ground-truth.json").exists():
        print(f"benchmark data not found in {data}; pass --data DIR (the article-extraction benchmark)")
        return 2
    pages = load_pages(data, 20 if args.quick else None)
    chosen = extractors()
    if args.only:
        chosen = {k: v for k, v in chosen.items() if k in args.only.split(",") or k == "trafilatura"}
    scores = run_extractors(pages, chosen)
    report(scores, len(pages))
    if args.dump:
        dump_pages(pages, scores, Path(args.dump))
    return 0


def dump_pages(pages, scores: dict[str, Scores], path: Path) -> None:
    """Per-page scores as JSON Lines, to see where an extractor loses."""
    with path.open("w", encoding="utf-8") as out:
        for index, (item_id, url, _, _) in enumerate(pages):
            out.write(
                json.dumps({"id": item_id, "url": url, **{name: s.pages[index] for name, s in scores.items()}}) + "\n"
            )
