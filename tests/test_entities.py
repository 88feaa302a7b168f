"""Gazetteer entities: loading and validation, mentions with offsets in three languages, and warehouse rows."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from pipeline.config import ConfigError, FeedSource, load_gazetteer
from pipeline.warehouse.batches import load_feed_batch
from pipeline.warehouse.pipeline_runs import start_run
from pipeline.warehouse.sources import sync_sources
from pipeline.warehouse.tags import record_taxonomy

from .test_warehouse import NOW, article, batch_for


def mentions(tagger, body: str, title: str = "") -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    result = tagger.tag(title, body)
    for m in result.entities:
        source = title if m.field == "title" else body
        assert source[m.start : m.end] == m.text
        found.setdefault(m.entity, []).append(m.text)
    return found


def test_the_gazetteer_loads_with_kinds_and_aliases(taxonomy):
    by_id = {e.id: e for e in taxonomy.entities}
    assert {
        "su-35",
        "shahed",
        "s-400",
        "bushehr-npp",
        "instc",
        "rasht-astara",
        "mir-shetab",
        "csp-treaty-2025",
        "putin",
        "rosatom",
    } <= set(by_id)
    assert by_id["su-35"].kind == "weapon_system" and by_id["csp-treaty-2025"].kind == "agreement"
    assert all(e.aliases for e in by_id.values())


def test_mentions_in_english_russian_and_persian(tagger):
    english = mentions(
        tagger,
        "Iran received Su-35 jets; Shahed drones, called Geran-2 in Russia, were built in "
        "Alabuga. The Rasht–Astara railway is the missing link of the INSTC.",
    )
    assert english["su-35"] == ["Su-35"] and len(english["shahed"]) == 2
    assert {"alabuga", "rasht-astara", "instc"} <= set(english)
    russian = mentions(
        tagger,
        "Поставки истребителей Су-35 в Иран начались. «Росатомом» построен первый блок "
        "Бушерской АЭС, а Путин встретился с Пезешкианом.",
    )
    assert {"su-35", "rosatom", "putin", "pezeshkian", "bushehr-npp"} <= set(russian)
    persian = mentions(tagger, "جنگنده‌های سوخو-۳۵ وارد ایران شد و پوتین و پزشکیان درباره کریدور شمال-جنوب گفتگو کردند.")
    assert {"su-35", "putin", "pezeshkian", "instc"} <= set(persian)


def test_overlapping_aliases_give_one_mention(tagger):
    found = mentions(tagger, "The Comprehensive Strategic Partnership Treaty was signed in 2025.")
    assert found == {"csp-treaty-2025": ["Comprehensive Strategic Partnership Treaty"]}


def test_entities_are_found_in_irrelevant_articles_too(tagger):
    result = tagger.tag("", "Ukraine shot down 40 Shahed drones overnight.")
    assert not result.relevant and [m.entity for m in result.entities] == ["shahed"]


GAZETTEER = """entities:
  - id: su-35
    kind: weapon_system
    label: Su-35
    aliases: {en: [Su-35]}
"""


def test_gazetteer_errors_name_the_file_line_and_key(tmp_path):
    path = tmp_path / "gazetteer.yaml"
    path.write_text(GAZETTEER + GAZETTEER.split("\n", 1)[1], encoding="utf-8")
    with pytest.raises(ConfigError, match=r"gazetteer.yaml:6: entities\[1\].id: 'su-35' already used on line 2"):
        load_gazetteer(path)
    path.write_text(GAZETTEER.replace("weapon_system", "tank"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"gazetteer.yaml:2: entities\[0\].kind: 'tank' is not one of"):
        load_gazetteer(path)
    path.write_text(GAZETTEER.replace("aliases: {en: [Su-35]}", "aliases: {de: [Su-35]}"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"entities\[0\].aliases.de: unknown language"):
        load_gazetteer(path)
    path.write_text("entities: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="top-level list `entities:`"):
        load_gazetteer(path)


def test_mentions_are_stored_per_article_and_version(engine, tagger, taxonomy):
    feed = FeedSource("Example", "https://example.org/rss", None, "en", "GB", "western")
    body = (
        "Russia will deliver Su-35 fighter jets and S-400 systems to Iran, and the Su-35 pilots will train in Russia."
    )
    with engine.begin() as conn:
        record_taxonomy(conn, taxonomy, NOW)
        source_id = sync_sources(conn, [feed], NOW)["Example"]
        run_id = start_run(conn, "test", NOW, None, "test", taxonomy.version)
        for _ in range(2):  # loading twice replaces the rows, it does not add to them
            load_feed_batch(conn, batch_for(source_id, [article(tagger, "https://example.org/su", body)]), run_id, NOW)
    with engine.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT entity_id, kind, mention, field, mention_start, mention_end, taxonomy_version "
                "FROM article_entities ORDER BY field, mention_start"
            )
        ).all()
        labels = dict(conn.execute(text("SELECT entity_id, label FROM entities")).all())
        per_entity = dict(
            conn.execute(text("SELECT entity_id, COUNT(*) FROM article_entities GROUP BY entity_id")).all()
        )
    assert per_entity["su-35"] == 2 and per_entity["s-400"] == 1
    assert all(row.taxonomy_version == taxonomy.version for row in stored)
    su = [row for row in stored if row.entity_id == "su-35" and row.field == "text"][0]
    assert body[su.mention_start : su.mention_end] == su.mention == "Su-35" and su.kind == "weapon_system"
    assert labels["su-35"] == "Su-35 fighter"
