"""The documented trend queries in sql/queries: discover them, bind their parameters, run them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from pipeline.warehouse.db import SQL_DIR, tables

QUERIES_DIR = SQL_DIR / "queries"
_HEADER = re.compile(r"^--\s*(name|question|params|run|notes):\s*(.*)$")
_PARAM = re.compile(r"(\w+)\s*\((date|text|int|number),\s*default\s+([^)]*)\)")


class QueryError(ValueError):
    """Unknown query name or a parameter value that does not fit."""


@dataclass(frozen=True)
class TrendQuery:
    name: str
    question: str
    params: dict[str, tuple[str, str]]  # name -> (type, default)
    sql: str
    path: Path

    def bind(self, values: dict[str, str]) -> dict:
        unknown = set(values) - set(self.params)
        if unknown:
            raise QueryError(
                f"query {self.name} has no parameter {sorted(unknown)[0]!r}; "
                f"it takes: {', '.join(self.params) or 'none'}"
            )
        return {name: _convert(name, kind, values.get(name, default)) for name, (kind, default) in self.params.items()}


def _convert(name: str, kind: str, raw: str):
    try:
        if kind == "date":
            return date.fromisoformat(raw.strip())
        if kind == "int":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        raise QueryError(f"parameter {name}={raw!r} is not a valid {kind} (dates are YYYY-MM-DD)") from None
    return raw.strip()


def parse_query_file(path: Path) -> TrendQuery:
    header: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _HEADER.match(line.strip())
        if match and match.group(1) not in header:
            header[match.group(1)] = match.group(2).strip()
    params = {m.group(1): (m.group(2), m.group(3).strip()) for m in _PARAM.finditer(header.get("params", ""))}
    return TrendQuery(
        header.get("name", path.stem), header.get("question", ""), params, path.read_text(encoding="utf-8"), path
    )


def list_queries(directory: Path = QUERIES_DIR) -> dict[str, TrendQuery]:
    return {q.name: q for q in (parse_query_file(p) for p in sorted(directory.glob("*.sql")))}


def run_query(engine: Engine, name: str, values: dict[str, str] | None = None) -> tuple[list[str], list[tuple]]:
    """Run a named trend query; returns column names and rows."""
    queries = list_queries()
    if name not in queries:
        raise QueryError(f"no query named {name!r}; `newsmon query --list` shows the {len(queries)} there are")
    query = queries[name]
    tables(engine)  # raises WarehouseError with what to do when the schema is missing or old
    with engine.connect() as conn:
        result = conn.execute(text(query.sql), query.bind(values or {}))
        return list(result.keys()), [tuple(row) for row in result]


def format_table(columns: list[str], rows: Sequence[Sequence[Any]], max_width: int = 60) -> str:
    """A plain-text table for terminals."""

    def cell(value) -> str:
        if value is None:
            return ""
        rendered = f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
        rendered = rendered.replace("\n", " ")
        return rendered if len(rendered) <= max_width else rendered[: max_width - 1] + "…"

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    return "\n".join(lines)
