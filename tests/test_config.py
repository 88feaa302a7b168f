"""Configuration files are validated on load with file, line and key in the message; settings fail fast."""

from __future__ import annotations

import pytest

from pipeline.config import PERSPECTIVES, TOPIC_IDS, ConfigError, load_cleaning, load_feeds, load_taxonomy
from pipeline.sample.server import SITE_DIR
from pipeline.settings import PROJECT_ROOT, SettingsError, load_settings

GOOD_FEED = """feeds:
  - name: A
    url: https://a.example/rss
    language: en
    country: GB
    perspective: western
"""


def write(tmp_path, text, name="feeds.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_production_feed_list_is_valid_and_broad():
    feeds = load_feeds(PROJECT_ROOT / "config" / "feeds.yaml")
    assert len(feeds) >= 15
    assert {f.language for f in feeds} >= {"en", "ru", "fa"}
    assert {f.perspective for f in feeds} == set(PERSPECTIVES)
    assert all(f.url.startswith("https://") or f.url.startswith("http://") for f in feeds)


def test_sample_site_feed_list_substitutes_the_base_url():
    feeds = load_feeds(SITE_DIR / "feeds.yaml", base_url="http://127.0.0.1:9999")
    assert feeds[0].url.startswith("http://127.0.0.1:9999/feeds/")


def test_taxonomy_has_every_topic_and_a_version():
    taxonomy = load_taxonomy(PROJECT_ROOT / "config" / "taxonomy.yaml")
    assert [t.id for t in taxonomy.topics] == list(TOPIC_IDS)
    assert taxonomy.version and len(taxonomy.sha256) == 64
    assert all(t.terms for t in taxonomy.topics)


@pytest.mark.parametrize(
    "replace, line, key, problem",
    [
        ("perspective: western", 6, "feeds[0].perspective", "'westrn' is not one of"),
        ("country: GB", 5, "feeds[0].country", "'gb' is not valid"),
        ("language: en", 4, "feeds[0].language", "'xx' is not one of"),
        ("url: https://a.example/rss", 3, "feeds[0].url", "'ftp://a' is not valid"),
    ],
)
def test_a_bad_feed_line_is_named(tmp_path, replace, line, key, problem):
    bad_value = {"perspective": "westrn", "country": "gb", "language": "xx", "url": "ftp://a"}[replace.split(":")[0]]
    path = write(tmp_path, GOOD_FEED.replace(replace, f"{replace.split(':')[0]}: {bad_value}"))
    with pytest.raises(ConfigError) as error:
        load_feeds(path)
    message = str(error.value)
    assert message.startswith(f"{path}:")
    assert key in message and problem in message
    assert error.value.line == 2  # the entry's first line; the key names the field


def test_duplicate_feed_names_point_at_the_first(tmp_path):
    path = write(tmp_path, GOOD_FEED + GOOD_FEED.split("\n", 1)[1].replace("a.example", "b.example"))
    with pytest.raises(ConfigError, match=r"feeds\[1\]\.name: 'A' already used on line 2"):
        load_feeds(path)


def test_missing_key_and_invalid_yaml(tmp_path):
    with pytest.raises(ConfigError, match=r"feeds\[0\]\.name: missing"):
        load_feeds(write(tmp_path, GOOD_FEED.replace("  - name: A\n    url", "  - url")))
    with pytest.raises(ConfigError, match=r"feeds.yaml:3: invalid YAML"):
        load_feeds(write(tmp_path, "feeds:\n  - [unclosed\n"))
    with pytest.raises(ConfigError, match="file not found"):
        load_feeds(tmp_path / "nope.yaml")


def test_taxonomy_errors_name_the_key(tmp_path):
    text = (PROJECT_ROOT / "config" / "taxonomy.yaml").read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match="missing topic ids: sanctions"):
        load_taxonomy(write(tmp_path, text.replace("  sanctions:", "  sanctionz:"), "taxonomy.yaml"))


def test_bad_cleaning_pattern_is_named(tmp_path):
    path = write(tmp_path, "boilerplate_lines:\n  - 'ok'\n  - '(unclosed'\n", "cleaning.yaml")
    with pytest.raises(ConfigError, match=r"cleaning.yaml:3: boilerplate_lines\[1\]: bad pattern"):
        load_cleaning(path)


def test_settings_fail_fast_naming_the_variable():
    with pytest.raises(SettingsError, match="NEWSMON_FETCH_DEADLINE='soon' is not a number"):
        load_settings({"NEWSMON_FETCH_DEADLINE": "soon"})
    with pytest.raises(SettingsError, match="NEWSMON_PRIVATE_ALLOWLIST: 'maybe' is not an IP address"):
        load_settings({"NEWSMON_PRIVATE_ALLOWLIST": "maybe"})
    settings = load_settings({"NEWSMON_WAREHOUSE_URL": "sqlite:///x.db", "NEWSMON_MAX_BYTES": "1000"})
    assert settings.warehouse_url == "sqlite:///x.db" and settings.limits.max_bytes == 1000
    assert settings.limits.private_allowlist == ()  # production default: nothing non-public


def _taxonomy_with(tmp_path, edit) -> str:
    """A copy of the real taxonomy (and its gazetteer) with one text edit."""
    source = (PROJECT_ROOT / "config" / "taxonomy.yaml").read_text(encoding="utf-8")
    edited = edit(source)
    assert edited != source
    (tmp_path / "gazetteer.yaml").write_text(
        (PROJECT_ROOT / "config" / "gazetteer.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    path = tmp_path / "taxonomy.yaml"
    path.write_text(edited, encoding="utf-8")
    return str(path)


def test_taxonomy_rejects_an_unknown_top_level_key(tmp_path):
    path = _taxonomy_with(tmp_path, lambda s: s.replace("\ntopics:", "\nrelation_cue:\n  en: [with]\ntopics:", 1))
    with pytest.raises(ConfigError, match=r"taxonomy.yaml:\d+: relation_cue: unknown key"):
        load_taxonomy(path)


def _set_overrides(topic: str, overrides: str):
    """An edit that sets one topic's `overridden_by` list."""

    def edit(text):
        start = text.index(f"\n  {topic}:")
        end = text.index("\n  ", start + 3 + len(topic))
        while not text[end + 3].isalpha() or text[end + 3 :].split(":", 1)[0].count(" "):
            end = text.index("\n  ", end + 1)  # the next topic key (two spaces, a word, a colon)
        block = text[start:end]
        line = next(line for line in block.splitlines() if line.strip().startswith("overridden_by:"))
        return text[:start] + block.replace(line, f"    overridden_by: [{overrides}]") + text[end:]

    return edit


def test_taxonomy_rejects_a_topic_that_overrides_itself(tmp_path):
    path = _taxonomy_with(tmp_path, _set_overrides("defence", "defence"))
    with pytest.raises(ConfigError, match=r"topics.defence.overridden_by: a topic cannot override itself"):
        load_taxonomy(path)


def test_taxonomy_rejects_an_override_cycle(tmp_path):
    path = _taxonomy_with(tmp_path, _set_overrides("space", "industry"))  # industry is overridden by space
    with pytest.raises(ConfigError, match=r"override cycle: .*space -> industry"):
        load_taxonomy(path)


def test_yaml_aliases_are_refused_before_they_expand(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20)
    )
    path = write(tmp_path, "feeds:\n  - name: A\n    url: http://example.org/feed\n" + bomb)
    with pytest.raises(ConfigError, match=r"feeds.yaml:5: invalid YAML: aliases \(\*name\) are not allowed"):
        load_feeds(path)


def test_a_config_error_quotes_at_most_a_few_hundred_characters(tmp_path):
    huge = "x" * 100_000
    path = write(tmp_path, f"feeds:\n  - name: A\n    url: http://example.org/feed\n    perspective: {huge}\n")
    with pytest.raises(ConfigError) as error:
        load_feeds(path)
    assert len(str(error.value)) < 500 and "\n" not in str(error.value)


def test_the_rules_grammar_words_are_data_in_the_taxonomy_file(tmp_path):
    from pipeline.tagging.sentences import split_sentences

    spec = load_taxonomy(PROJECT_ROOT / "config" / "taxonomy.yaml")
    text = "Gen. Bagheri met Mr. Shoigu in Tehran. They discussed drones."
    assert len(split_sentences(text, "text", 0, spec.grammar.abbreviations)) == 2
    without = _taxonomy_with(tmp_path, lambda s: s.replace(", mr, mrs,", ", mrs,", 1))
    assert len(split_sentences(text, "text", 0, load_taxonomy(without).grammar.abbreviations)) == 3
    with pytest.raises(ConfigError, match=r"grammar.conjunctionz: unknown key"):
        load_taxonomy(_taxonomy_with(tmp_path, lambda s: s.replace("  conjunctions:", "  conjunctionz:", 1)))


def test_values_too_long_for_the_warehouse_are_file_line_errors(tmp_path):
    long_name = "N" * 300
    path = write(
        tmp_path,
        f"feeds:\n  - name: {long_name}\n    url: http://example.org/feed\n    language: en\n"
        "    country: GB\n    perspective: western\n",
    )
    with pytest.raises(ConfigError, match=r"feeds.yaml:2: feeds\[0\].name: is 300 characters long; at most 200 fit"):
        load_feeds(path)
    nul = write(
        tmp_path,
        'feeds:\n  - name: "A\\0B"\n    url: http://example.org/feed\n    language: en\n'
        "    country: GB\n    perspective: western\n",
    )
    with pytest.raises(ConfigError, match=r"feeds.yaml:2: feeds\[0\].name: contains a NUL character"):
        load_feeds(nul)


def test_newsmon_eval_on_a_binary_file_is_a_user_error(tmp_path, capsys):
    from pipeline.cli import main

    binary = tmp_path / "labels.jsonl"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x00")
    assert main(["eval", str(binary), "--rules-only"]) == 2
    assert "not a UTF-8 JSON Lines file" in capsys.readouterr().err
