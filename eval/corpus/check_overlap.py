"""Check that paraphrased excerpts share no run of 7 words with their originals.

Usage: python eval/corpus/check_overlap.py ITEMS.jsonl ORIGINALS.jsonl [--max-run 6]

ITEMS has {"id", "title", "text"}; ORIGINALS has {"id", "original"} (the original excerpt, kept outside the
repository while the corpus is written and never committed). Prints every item whose title or text shares a run
of more than --max-run words with its original, and exits 1 if there is one.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased word tokens; the zero-width non-joiner and punctuation separate nothing but are dropped."""
    return [w.lower() for w in WORD.findall(text.replace("\u200c", ""))]


def longest_shared_run(a: list[str], b: list[str]) -> tuple[int, str]:
    """The longest run of consecutive words that appears in both lists (dynamic programming, O(len a × len b))."""
    best, end = 0, 0
    previous = [0] * (len(b) + 1)
    for i in range(1, len(a) + 1):
        current = [0] * (len(b) + 1)
        ai = a[i - 1]
        for j in range(1, len(b) + 1):
            if ai == b[j - 1]:
                current[j] = previous[j - 1] + 1
                if current[j] > best:
                    best, end = current[j], i
        previous = current
    return best, " ".join(a[end - best : end])


def read_jsonl(path: str) -> dict[str, dict]:
    rows = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    sys.exit(f"{path}:{number}: not JSON: {exc}")
                rows[row["id"]] = row
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("items")
    parser.add_argument("originals")
    parser.add_argument("--max-run", type=int, default=6)
    args = parser.parse_args()
    items, originals = read_jsonl(args.items), read_jsonl(args.originals)
    failures = 0
    for item_id, item in items.items():
        original = originals.get(item_id)
        if original is None:
            print(f"{item_id}: no original recorded")
            failures += 1
            continue
        mine = words(item.get("title", "") + " \n " + item.get("text", ""))
        run, phrase = longest_shared_run(mine, words(original["original"]))
        if run > args.max_run:
            print(f"{item_id}: shares {run} words with the original: {phrase!r}")
            failures += 1
    print(f"{len(items)} items checked, {failures} to fix", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
