"""Plain-text tables for benchmark output (the same renderer as `newsmon query`)."""

from __future__ import annotations

from pipeline.warehouse.trends import format_table


def print_table(title: str, columns: list[str], rows: list[tuple]) -> None:
    print(f"\n{title}\n")
    print(format_table(columns, rows, max_width=80))


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}x" if baseline else "n/a"
