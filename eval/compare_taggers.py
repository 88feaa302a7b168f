"""Compare tagger designs on the real-news corpus's dev split (issue #10): the rules as they were, the rules with
taxonomy version 2, the learned model that ships (over the lexicons' hits, the relation rules and the words), and a
hybrid that also takes the rules' own verdicts as features.

    python eval/compare_taggers.py [--split dev] [--out eval/scores/dev-comparison.md]

Every learned variant is trained on the corpus's train split plus the synthetic dev set (weighted down) and tuned on
the dev split, exactly as `newsmon train` does; the test split is read only with `--split test`, for the final
report. The table has relevance F1, topic micro/macro F1, precision, recall and the lowest per-topic recall, overall
and per language, and the synthetic dev set's scores (relabelled to version 2) for each variant.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import load_taxonomy  # noqa: E402
from pipeline.evaluate import evaluate, read_labelled  # noqa: E402
from pipeline.tagging import Tagger, load_model  # noqa: E402
from pipeline.tagging.training import train_model, training_sets  # noqa: E402

BEFORE = "2fe77c7"  # the last commit before this issue: taxonomy 2025.17, rules only


def old_taxonomy(directory: Path):
    """The taxonomy (and gazetteer) of commit BEFORE, from git; None outside a git checkout."""
    for name in ("taxonomy.yaml", "gazetteer.yaml"):
        shown = subprocess.run(["git", "-C", str(ROOT), "show", f"{BEFORE}:config/{name}"], capture_output=True)
        if shown.returncode:
            return None
        (directory / name).write_bytes(shown.stdout)
    return load_taxonomy(directory / "taxonomy.yaml")


def scores(tagger, articles) -> dict:
    report = evaluate(tagger, articles)
    used = [c for c in report.topics.values() if c.tp + c.fn]
    return {
        "n": len(articles),
        "relevance": report.relevance.f1,
        "micro": report.micro.f1,
        "macro": report.macro_f1,
        "precision": report.micro.precision,
        "recall": report.micro.recall,
        "min_recall": min((c.recall for c in used), default=0.0),
    }


def row(name: str, s: dict) -> str:
    return (
        f"| {name} | {s['n']} | {s['relevance']:.3f} | {s['micro']:.3f} | {s['macro']:.3f} | "
        f"{s['precision']:.3f} | {s['recall']:.3f} | {s['min_recall']:.2f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=["dev", "test"])
    parser.add_argument("--out", help="write the markdown table here too")
    args = parser.parse_args()
    spec = load_taxonomy(ROOT / "config" / "taxonomy.yaml")
    corpus_path, devset = ROOT / "eval" / "corpus" / "corpus.jsonl", ROOT / "eval" / "devset"
    train, tune, synthetic = training_sets(corpus_path, devset)
    scored = [a for a in read_labelled(corpus_path) if a.split == args.split]
    variants = []
    with tempfile.TemporaryDirectory() as tmp:
        old = old_taxonomy(Path(tmp))
        if old is not None:
            variants.append((f"rules, taxonomy {old.version} (before)", Tagger(old)))
    variants.append((f"rules, taxonomy {spec.version}", Tagger(spec)))
    for name, use_rules in (
        ("learned over lexicons and relations (ships)", False),
        ("hybrid: the same plus the rules' verdicts", True),
    ):
        started = time.perf_counter()
        model = train_model(spec, train, tune, synthetic=synthetic, use_rules=use_rules)
        print(f"trained {name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        variants.append((name, Tagger(spec, model)))
    shipped = ROOT / "config" / "tagger-model.npz"
    if shipped.exists():
        variants.append(("shipped model file", Tagger(spec, load_model(shipped, spec.version, spec.sha256))))
    lines = [
        f"Real-news corpus, {args.split} split ({len(scored)} items); synthetic dev set ({len(synthetic)}, "
        "relabelled to taxonomy v2). Command: `python eval/compare_taggers.py"
        + (f" --split {args.split}`" if args.split != "dev" else "`"),
        "",
        "| tagger | items | relevance F1 | topic micro-F1 | topic macro-F1 | topic P | topic R | lowest topic recall |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, tagger in variants:
        lines.append(row(f"**{name}**, all", scores(tagger, scored)))
        for lang in ("en", "ru", "fa"):
            lines.append(row(f"{name}, {lang}", scores(tagger, [a for a in scored if a.lang == lang])))
        lines.append(row(f"{name}, synthetic dev set", scores(tagger, synthetic)))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
