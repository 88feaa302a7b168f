"""What one hostile page costs: a 4.9 MB article page (under the 5 MiB fetch cap) extracted and tagged, with the caps
on what extraction and the tagger may read (NEWSMON_MAX_EXTRACT_BYTES, NEWSMON_MAX_TAG_CHARS) and without them.

    python -m bench pagecap

Each case runs in a fresh subprocess, so that its CPU time and peak memory (ru_maxrss) are its own.
"""

from __future__ import annotations

import json
import subprocess
import sys

from .table import print_table

CASE = r"""
import json, resource, sys, time
from pipeline.config import load_cleaning, load_taxonomy
from pipeline.extraction.extract import extract_article
from pipeline.settings import PROJECT_ROOT
from pipeline.tagging import load_tagger

cap_bytes, cap_chars = (None, None) if sys.argv[1] == "uncapped" else (2 * 1024 * 1024, 200_000)
paragraph = ("<p>Russia and Iran discussed the supply of gas, the North-South corridor and the payment link "
             "between their banks, officials in Moscow and Tehran said on Tuesday.</p>\n")
page = ("<html><head><title>Russia and Iran</title></head><body><article>"
        + paragraph * (4_900_000 // len(paragraph)) + "</article></body></html>").encode()
rules = load_cleaning(PROJECT_ROOT / "config" / "cleaning.yaml")
tagger = load_tagger(load_taxonomy(PROJECT_ROOT / "config" / "taxonomy.yaml"))
base = resource.getrusage(resource.RUSAGE_SELF)
started = time.process_time()
extracted = extract_article(page, "https://example.org/a", rules, max_bytes=cap_bytes)
tags = tagger.tag(extracted.title, extracted.text, max_chars=cap_chars)
cpu = time.process_time() - started
print(json.dumps({"page_mb": len(page) / 1e6, "text_chars": len(extracted.text), "cpu_s": cpu,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "truncated": "; ".join(filter(None, (extracted.truncated, tags.truncated))) or "-"}))
"""


def main(args=None) -> int:
    rows = []
    for case in ("uncapped", "capped (defaults)"):
        done = subprocess.run(
            [sys.executable, "-c", CASE, case.split()[0]], capture_output=True, text=True, timeout=1800
        )
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return 1
        result = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(
            (
                case,
                f"{result['page_mb']:.1f}",
                f"{result['text_chars']:,}",
                f"{result['cpu_s']:.1f}",
                f"{result['peak_mb']:.0f}",
                result["truncated"],
            )
        )
    print_table(
        "One 4.9 MB article page, extracted and tagged in a fresh process",
        ["case", "page MB", "text chars", "CPU s (extract + tag)", "peak RSS MB", "truncated"],
        rows,
    )
    return 0
