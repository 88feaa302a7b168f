"""`python -m bench extraction|throughput|warehouse|pagecap [--quick]`: run one benchmark and print its tables."""

from __future__ import annotations

import argparse
import logging
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = parser.add_subparsers(dest="bench", required=True)
    extraction = sub.add_parser("extraction", help="extraction quality against trafilatura and readability")
    extraction.add_argument("--data", help="the article-extraction benchmark folder (default ../shared/bench-data/...)")
    extraction.add_argument("--only", help="comma-separated extractors besides trafilatura (newsmon, readability-lxml)")
    extraction.add_argument("--dump", help="write per-page scores as JSON Lines to this file")
    extraction.add_argument("--quick", action="store_true", help="20 pages only (smoke test)")
    throughput = sub.add_parser("throughput", help="the whole pipeline over a generated loopback news site")
    throughput.add_argument("--latency", type=float, default=0.1, help="server latency in seconds (default 0.1)")
    throughput.add_argument("--workers", type=int, default=40, help="fetch workers (default 40 = 20 hosts x 2)")
    throughput.add_argument("--per-host", type=int, default=2, help="requests at once per host (default 2)")
    throughput.add_argument("--only", help="sqlite or postgresql (default both)")
    throughput.add_argument("--quick", action="store_true", help="100 and 1,000 articles (smoke test)")
    throughput.add_argument("--cpu", type=int, help="extraction worker processes to compare with one (default: cores)")
    warehouse = sub.add_parser("warehouse", help="a synthetic warehouse in PostgreSQL: views, queries, day loads")
    warehouse.add_argument("--articles", type=int, default=1_000_000, help="synthetic articles (default 1,000,000)")
    warehouse.add_argument("--day-articles", type=int, default=2000, help="articles in the one-more-day load")
    warehouse.add_argument("--quick", action="store_true", help="20,000 articles (smoke test)")
    sub.add_parser("pagecap", help="what one 4.9 MB page costs, with and without the extraction and tagging caps")
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.ERROR)
    args = build_parser().parse_args(argv)
    if args.bench == "extraction":
        from .extraction import main as run
    elif args.bench == "throughput":
        from .throughput import main as run
    elif args.bench == "warehouse":
        from .warehouse import main as run
    elif args.bench == "pagecap":
        from .pagecap import main as run
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
