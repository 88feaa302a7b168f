"""Labelled articles (eval/devset, eval/corpus): the gold relevance and topics the tagger is trained and scored on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import TOPIC_IDS, ConfigError


@dataclass(frozen=True)
class LabelledArticle:
    id: str
    lang: str
    title: str
    text: str
    relevant: bool
    topics: frozenset[str]
    notes: str = ""
    split: str = ""
    site: str = ""
    evidence: tuple[tuple[str, str], ...] = ()  # (topic or "relevance", the deciding sentence as quoted)


def read_labelled(path: Path | str) -> list[LabelledArticle]:
    """Read one JSON Lines file of labelled articles; a bad line is reported by file and line number."""
    path = Path(path)
    articles = []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(path, None, "", f"not a UTF-8 JSON Lines file (byte {exc.start}: {exc.reason})") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            topics = frozenset(row.get("topics") or ())
            unknown = topics - set(TOPIC_IDS)
            if unknown:
                raise ValueError(f"unknown topic ids {sorted(unknown)}")
            evidence = row.get("evidence") or {}
            if not isinstance(evidence, dict):
                raise ValueError("evidence must be a mapping of topic -> quoted sentence")
            articles.append(
                LabelledArticle(
                    str(row["id"]),
                    row.get("lang", ""),
                    row.get("title") or "",
                    row["text"],
                    bool(row["relevant"]),
                    topics,
                    row.get("notes", ""),
                    row.get("split", ""),
                    row.get("site", ""),
                    tuple((str(k), str(v)) for k, v in sorted(evidence.items()) if v),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(path, number, "", f"bad labelled article: {exc}") from None
    return articles


def read_devset(directory: Path | str) -> list[LabelledArticle]:
    """Every *.jsonl file of a directory, in name order."""
    files = sorted(Path(directory).glob("*.jsonl"))
    if not files:
        raise ConfigError(directory, None, "", "no *.jsonl files of labelled articles here")
    return [article for path in files for article in read_labelled(path)]
