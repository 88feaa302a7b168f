"""Measure the tagger against labelled articles: relevance P/R/F1, per-topic P/R/F1, micro and macro F1, errors.

Labelled sets are JSON Lines files of `{id, lang, title, text, relevant, topics, notes}` (eval/devset/*.jsonl) or
the sample site's manifest (pipeline/sample/site/manifest.yaml, whose pages are extracted first). Topic scores
count an article's topics only when the gold label says it is relevant, as the taxonomy does: topics exist only
for relevant articles, so a false relevance shows up once, in the relevance line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.config import TOPIC_IDS
from pipeline.tagging import TagResult
from pipeline.tagging.labelled import LabelledArticle, read_devset, read_labelled


@dataclass
class Confusion:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class ArticleOutcome:
    article: LabelledArticle
    result: TagResult

    @property
    def predicted_topics(self) -> frozenset[str]:
        return frozenset(t.topic for t in self.result.topics) if self.result.relevant else frozenset()

    @property
    def correct(self) -> bool:
        gold = self.article.topics if self.article.relevant else frozenset()
        return self.result.relevant == self.article.relevant and self.predicted_topics == gold


@dataclass
class Report:
    relevance: Confusion = field(default_factory=Confusion)
    topics: dict[str, Confusion] = field(default_factory=lambda: {t: Confusion() for t in TOPIC_IDS})
    outcomes: list[ArticleOutcome] = field(default_factory=list)

    @property
    def micro(self) -> Confusion:
        total = Confusion()
        for counts in self.topics.values():
            total.tp, total.fp, total.fn = total.tp + counts.tp, total.fp + counts.fp, total.fn + counts.fn
        return total

    @property
    def macro_f1(self) -> float:
        used = [c for c in self.topics.values() if c.tp + c.fp + c.fn]
        return sum(c.f1 for c in used) / len(used) if used else 0.0

    def summary(self) -> dict:
        return {
            "articles": len(self.outcomes),
            "relevance_f1": round(self.relevance.f1, 3),
            "topic_micro_f1": round(self.micro.f1, 3),
            "topic_macro_f1": round(self.macro_f1, 3),
            "lowest_topic_f1": round(min((c.f1 for c in self.topics.values() if c.tp + c.fp + c.fn), default=0.0), 3),
        }


def read_manifest(site_dir: Path | str, rules) -> list[LabelledArticle]:
    """The sample site's pages with their labels, extracted as the pipeline would extract them."""
    import yaml

    from pipeline.extraction.extract import extract_article

    site_dir = Path(site_dir)
    manifest = yaml.safe_load((site_dir / "manifest.yaml").read_text(encoding="utf-8"))
    articles = []
    for entry in manifest["articles"]:
        html = (site_dir / entry["path"]).read_bytes().replace(b"{{BASE}}", b"http://127.0.0.1:9")
        extracted = extract_article(html, f"http://127.0.0.1:9/{entry['path']}", rules)
        articles.append(
            LabelledArticle(
                entry["path"].rsplit("/", 1)[-1],
                entry.get("lang", ""),
                extracted.title or entry.get("title", ""),
                extracted.text,
                bool(entry["relevant"]),
                frozenset(entry.get("topics") or ()),
                entry.get("notes", ""),
            )
        )
    return articles


def labelled_sets(
    paths, rules, site: bool = False, split: str | None = None, lang: str | None = None
) -> list[tuple[str, list[LabelledArticle]]]:
    """The sets `newsmon eval` scores: the given files or folders, else the synthetic dev set, the real-news corpus's
    dev split (its test split only when asked for by name) and the sample site's manifest."""
    from pipeline.sample.server import SITE_DIR
    from pipeline.settings import PROJECT_ROOT

    corpus = PROJECT_ROOT / "eval" / "corpus" / "corpus.jsonl"
    defaults = [PROJECT_ROOT / "eval" / "devset"] + ([corpus] if corpus.exists() else [])
    named = []
    for path in [Path(p) for p in paths] or ([] if site else defaults):
        if path.is_dir() and (path / "manifest.yaml").exists():
            named.append((str(path), read_manifest(path, rules)))
        elif path.is_dir():
            named.append((str(path), read_devset(path)))
        else:
            named.append((str(path), read_labelled(path)))
    if site or not paths:
        named.append(("sample site manifest", read_manifest(SITE_DIR, rules)))
    chosen = []
    for name, articles in named:
        wanted = split or ("dev" if Path(name) == corpus else None)  # the corpus's test split only on request
        articles = [a for a in articles if (not lang or a.lang == lang) and (not wanted or a.split == wanted)]
        chosen.append((_portable(f"{name} (split {wanted})" if wanted else name), articles))
    return chosen


def evaluate(tagger, articles: Iterable[LabelledArticle]) -> Report:
    """Tag every article and count agreement with its labels."""
    report = Report()
    for article in articles:
        result = tagger.tag(article.title, article.text)
        outcome = ArticleOutcome(article, result)
        report.outcomes.append(outcome)
        _count(report.relevance, result.relevant, article.relevant)
        if not article.relevant:
            continue
        predicted = outcome.predicted_topics
        for topic in TOPIC_IDS:
            _count(report.topics[topic], topic in predicted, topic in article.topics)
    return report


def _count(counts: Confusion, predicted: bool, gold: bool) -> None:
    if predicted and gold:
        counts.tp += 1
    elif predicted:
        counts.fp += 1
    elif gold:
        counts.fn += 1


def format_report(report: Report, name: str = "", show_errors: bool = True) -> str:
    """Per-topic table, relevance, micro/macro lines and (optionally) every article that is wrong."""
    lines = [
        f"== {name} ({len(report.outcomes)} articles)" if name else f"== {len(report.outcomes)} articles",
        f"{'':20} {'P':>6} {'R':>6} {'F1':>6} {'TP':>4} {'FP':>4} {'FN':>4}",
    ]

    def row(label, c: Confusion):
        return f"{label:20} {c.precision:6.3f} {c.recall:6.3f} {c.f1:6.3f} {c.tp:4} {c.fp:4} {c.fn:4}"

    lines.append(row("relevance", report.relevance))
    for topic, counts in report.topics.items():
        lines.append(row(topic, counts))
    lines.append(row("topics (micro)", report.micro))
    lines.append(f"{'topics (macro F1)':20} {'':6} {'':6} {report.macro_f1:6.3f}")
    if show_errors:
        wrong = [o for o in report.outcomes if not o.correct]
        lines.append(f"-- {len(wrong)} articles with an error")
        lines.extend(_format_error(o) for o in wrong)
    return "\n".join(lines)


def _format_error(outcome: ArticleOutcome) -> str:
    article, result = outcome.article, outcome.result
    gold = article.topics if article.relevant else frozenset()
    extra, missing = sorted(outcome.predicted_topics - gold), sorted(gold - outcome.predicted_topics)
    parts = [f"{article.id} [{article.lang}] {article.title[:70]!r}"]
    if result.relevant != article.relevant:
        parts.append(
            f"  relevance: tagged {result.relevant}, labelled {article.relevant} "
            f"(score {result.relevance:.2f}; {', '.join(result.trace) or 'no rule'})"
        )
        if result.evidence:
            parts.append(f"    evidence: {result.evidence.text[:200]}")
    for tag in result.topics:
        if tag.topic in extra:
            parts.append(f"  + {tag.topic} ({tag.score:.2f}): {tag.evidence.text[:200]}")
            if tag.trace:
                parts.append(f"      because: {'; '.join(tag.trace)}")
    if missing:
        parts.append(f"  - missing: {', '.join(missing)}")
    return "\n".join(parts)


def save_scores(path, tagger, summaries: dict) -> None:
    """Write the guarded scores: per labelled set, the summary the test suite compares against."""
    from pathlib import Path

    document = {
        "taxonomy_version": tagger.version,
        "model": dict(tagger.model.header) if getattr(tagger, "model", None) else None,
        "sets": {_portable(name): summary for name, summary in summaries.items()},
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _portable(name: str) -> str:
    """A set's name without this checkout's absolute path."""
    from pipeline.settings import PROJECT_ROOT

    return name.replace(str(PROJECT_ROOT) + "/", "")
