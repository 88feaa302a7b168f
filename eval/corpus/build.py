"""Assemble the real-news corpus from its parts, split it by site and report the annotators' agreement.

    python eval/corpus/build.py            # writes corpus.jsonl and agreement.md, checks the corpus's promises

Inputs (all in this folder):
- raw/collector-*.jsonl: the paraphrased excerpts with their source URL, site and outlet (and the collector's
  intent, which no annotator saw);
- annotations/A.jsonl, annotations/B.jsonl: two annotators' independent labels (relevance, topics, quoted evidence);
- adjudication.jsonl: the settled label of every item on which they disagreed, with a one-line reason.
The split is by site (no site in two splits; tass.ru and tass.com are one site): a site's split follows from the
SHA-256 of its name alone (test 32%, dev 20%, train 48% of sites), so adding items never moves a site.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOPICS = (
    "defence",
    "counter_terrorism",
    "energy",
    "nuclear",
    "space",
    "finance",
    "transport",
    "trade",
    "industry",
    "agriculture",
    "science_technology",
    "culture",
    "diplomacy",
    "sanctions",
)
SHARES = {"test": 0.32, "dev": 0.20, "train": 0.48}


def read(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                sys.exit(f"{path}:{number}: not JSON ({exc})")
    return rows


def label_of(row: dict) -> tuple[bool, frozenset[str]]:
    relevant = bool(row["relevant"])
    topics = frozenset(row.get("topics") or ()) if relevant else frozenset()
    unknown = topics - set(TOPICS)
    if unknown:
        sys.exit(f"{row['id']}: unknown topics {sorted(unknown)}")
    return relevant, topics


_SECOND_LEVEL = {"co", "com", "org", "net", "gov", "ac", "edu"}


def site_group(host: str) -> str:
    """The site an item counts for: the registrable domain's name without its suffix, so that tass.ru and tass.com,
    gazeta.ru and m.gazeta.ru, en.irna.ir and irna.ir are one site (one outlet never straddles two splits)."""
    labels = host.lower().strip(".").removeprefix("www.").split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL:
        labels = labels[:-1]
    return labels[-2] if len(labels) >= 2 else labels[0]


def split_of(group: str) -> str:
    """A site group's split, from its SHA-256 alone: stable however many items are added later."""
    position = int(hashlib.sha256(group.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    if position < SHARES["test"]:
        return "test"
    return "dev" if position < SHARES["test"] + SHARES["dev"] else "train"


def assign_splits(items: list[dict]) -> dict[str, str]:
    """Site group -> split."""
    return {site_group(item["site"]): split_of(site_group(item["site"])) for item in items}


def agreement(pairs: list[tuple[tuple, tuple]]) -> dict:
    """Relevance F1 and Cohen's kappa, topic micro-F1 (over all items, and over items both call relevant)."""
    n = len(pairs)
    both = sum(1 for a, b in pairs if a[0] and b[0])
    only_a = sum(1 for a, b in pairs if a[0] and not b[0])
    only_b = sum(1 for a, b in pairs if b[0] and not a[0])
    observed = sum(1 for a, b in pairs if a[0] == b[0]) / n if n else 0.0
    pa, pb = sum(1 for a, _ in pairs if a[0]) / n, sum(1 for _, b in pairs if b[0]) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    kappa = (observed - expected) / (1 - expected) if expected < 1 else 1.0

    def micro(selected):
        tp = sum(len(a[1] & b[1]) for a, b in selected)
        fp = sum(len(b[1] - a[1]) for a, b in selected)
        fn = sum(len(a[1] - b[1]) for a, b in selected)
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0

    return {
        "items": n,
        "relevance_f1": 2 * both / (2 * both + only_a + only_b) if both else 0.0,
        "relevance_kappa": kappa,
        "topic_micro_f1": micro(pairs),
        "topic_micro_f1_both_relevant": micro([(a, b) for a, b in pairs if a[0] and b[0]]),
    }


def main() -> int:
    items = [row for path in sorted((HERE / "raw").glob("collector-*.jsonl")) for row in read(path)]
    a = {row["id"]: row for row in read(HERE / "annotations" / "A.jsonl")}
    b = {row["id"]: row for row in read(HERE / "annotations" / "B.jsonl")}
    settled = (
        {row["id"]: row for row in read(HERE / "adjudication.jsonl")} if (HERE / "adjudication.jsonl").exists() else {}
    )
    missing = [i["id"] for i in items if i["id"] not in a or i["id"] not in b]
    if missing:
        sys.exit(f"{len(missing)} items lack a label from both annotators, e.g. {missing[:5]}")
    splits = assign_splits(items)
    corpus, pairs_by_lang, unsettled = [], defaultdict(list), []
    for item in items:
        la, lb = label_of(a[item["id"]]), label_of(b[item["id"]])
        pairs_by_lang[item["lang"]].append((la, lb))
        if la == lb:
            relevant, topics, reason = la[0], la[1], ""
            evidence = {**(b[item["id"]].get("evidence") or {}), **(a[item["id"]].get("evidence") or {})}
        elif item["id"] in settled:
            final = settled[item["id"]]
            (relevant, topics), reason = label_of(final), final["reason"]
            evidence = final.get("evidence") or {}
            for source in (a[item["id"]], b[item["id"]]):
                for key, quote in (source.get("evidence") or {}).items():
                    evidence.setdefault(key, quote)
        else:
            unsettled.append(item["id"])
            continue
        keep = {"relevance"} | set(topics) if relevant else set()
        corpus.append(
            {
                "id": item["id"],
                "lang": item["lang"],
                "split": splits[site_group(item["site"])],
                "site": item["site"],
                "site_group": site_group(item["site"]),
                "outlet": item.get("outlet"),
                "url": item["url"],
                "published": item.get("published"),
                "title": item["title"],
                "text": item["text"],
                "relevant": relevant,
                "topics": [t for t in TOPICS if t in topics],
                "evidence": {k: v for k, v in sorted(evidence.items()) if k in keep and v},
                "annotators": {"A": _compact(a[item["id"]]), "B": _compact(b[item["id"]])},
                "adjudication": reason,
            }
        )
    if unsettled:
        sys.exit(f"{len(unsettled)} disagreements are not settled in adjudication.jsonl, e.g. {unsettled[:5]}")
    with open(HERE / "corpus.jsonl", "w", encoding="utf-8") as out:
        for row in corpus:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    report = {lang: agreement(pairs) for lang, pairs in sorted(pairs_by_lang.items())}
    report["all"] = agreement([p for pairs in pairs_by_lang.values() for p in pairs])
    write_report(corpus, report)
    return check(corpus)


def _compact(row: dict) -> dict:
    return {"relevant": bool(row["relevant"]), "topics": sorted(row.get("topics") or []) if row["relevant"] else []}


def write_report(corpus: list[dict], report: dict) -> None:
    lines = [
        "# Annotator agreement and corpus make-up",
        "",
        "Written by `python eval/corpus/build.py`. A and B labelled every item independently from",
        "`../shared/taxonomy.md` alone; the scores compare A with B (F1 is symmetric).",
        "",
        "| language | items | relevance F1 | relevance κ | topic micro-F1 (all items) | topic micro-F1 (both relevant) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for lang, r in report.items():
        lines.append(
            f"| {lang} | {r['items']} | {r['relevance_f1']:.3f} | {r['relevance_kappa']:.3f} | "
            f"{r['topic_micro_f1']:.3f} | {r['topic_micro_f1_both_relevant']:.3f} |"
        )
    lines += [
        "",
        "| split | items | en | ru | fa | relevant | not relevant | sites |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for split in ("train", "dev", "test"):
        rows = [r for r in corpus if r["split"] == split]
        langs = Counter(r["lang"] for r in rows)
        lines.append(
            f"| {split} | {len(rows)} | {langs['en']} | {langs['ru']} | {langs['fa']} | "
            f"{sum(r['relevant'] for r in rows)} | {sum(not r['relevant'] for r in rows)} | "
            f"{len({r['site'] for r in rows})} |"
        )
    counts = Counter(t for r in corpus for t in r["topics"])
    lines += ["", "| topic | positives | in test |", "| --- | ---: | ---: |"]
    for topic in TOPICS:
        lines.append(
            f"| {topic} | {counts[topic]} | {sum(1 for r in corpus if r['split'] == 'test' and topic in r['topics'])} |"
        )
    (HERE / "agreement.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (HERE / "agreement.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def check(corpus: list[dict]) -> int:
    """The corpus's promises (issue #10): print each, exit 1 if one fails."""
    n = len(corpus)
    ru_fa = sum(1 for r in corpus if r["lang"] in ("ru", "fa"))
    negatives = [r for r in corpus if not r["relevant"]]
    both_named = sum(1 for r in negatives if r.get("names_both", _names_both(r)))
    counts = Counter(t for r in corpus for t in r["topics"])
    sites = defaultdict(set)
    for r in corpus:
        sites[r["site_group"]].add(r["split"])
    promises = [
        (n >= 800, f"{n} items (at least 800)"),
        (ru_fa >= 0.35 * n, f"{ru_fa / n:.0%} Russian or Persian (at least 35%)"),
        (len(negatives) >= 0.30 * n, f"{len(negatives) / n:.0%} not relevant (at least 30%)"),
        (both_named >= len(negatives) / 2, f"{both_named} of {len(negatives)} negatives name both states (half)"),
        (min(counts[t] for t in TOPICS) >= 40, "positives per topic: " + ", ".join(f"{t} {counts[t]}" for t in TOPICS)),
        (all(len(s) == 1 for s in sites.values()), f"{len(sites)} sites (by registrable name), none in two splits"),
        (
            sum(r["split"] == "test" for r in corpus) >= 250,
            f"{sum(r['split'] == 'test' for r in corpus)} test items (at least 250)",
        ),
    ]
    for ok, text in promises:
        print(("ok   " if ok else "FAIL ") + text)
    return 0 if all(ok for ok, _ in promises) else 1


_NAMES = {
    "en": (("russia", "moscow", "kremlin", "russian"), ("iran", "tehran", "iranian", "islamic republic")),
    "ru": (("росси", "москв", "кремл"), ("иран", "тегеран", "исламск")),
    "fa": (("روسیه", "مسکو", "کرملین", "روسی"), ("ایران", "تهران")),
}


def _names_both(row: dict) -> bool:
    """Whether the excerpt names both states (their names, adjectives or capitals; a simple word-stem check)."""
    text = (row["title"] + " " + row["text"]).lower()
    russia, iran = _NAMES.get(row["lang"], _NAMES["en"])
    return any(w in text for w in russia) and any(w in text for w in iran)


if __name__ == "__main__":
    sys.exit(main())
