"""The tagger as shipped: its model matches the taxonomy, its scores do not drop, its tags carry evidence and traces.

The floor is eval/scores/dev.json (written by `newsmon eval --save-scores eval/scores/dev.json` when a change is
meant to move it): a taxonomy edit that lowers relevance or topic micro-F1 on any guarded set by more than 0.01
fails here, so quality cannot drop silently.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from pipeline.cli import main
from pipeline.config import load_cleaning
from pipeline.evaluate import evaluate, labelled_sets, read_devset
from pipeline.settings import PROJECT_ROOT
from pipeline.tagging import ModelError, Tagger, default_model_path, load_tagger
from pipeline.tagging.training import train_model

SCORES = PROJECT_ROOT / "eval" / "scores" / "dev.json"
TOLERANCE = 0.01


@pytest.fixture(scope="module")
def shipped(taxonomy):
    return load_tagger(taxonomy)


@pytest.fixture(scope="module")
def guarded_sets():
    return dict(labelled_sets([], load_cleaning(PROJECT_ROOT / "config" / "cleaning.yaml")))


def test_the_shipped_model_was_trained_for_the_shipped_taxonomy(shipped, taxonomy):
    assert shipped.model.taxonomy_version == taxonomy.version
    assert shipped.model.header["taxonomy_sha256"] == taxonomy.sha256


@pytest.mark.parametrize("metric", ["relevance_f1", "topic_micro_f1"])
def test_scores_do_not_drop_below_the_committed_floor(shipped, guarded_sets, metric):
    saved = json.loads(SCORES.read_text(encoding="utf-8"))
    assert saved["taxonomy_version"] == shipped.version, "eval/scores/dev.json is for another taxonomy version"
    assert set(saved["sets"]) == set(guarded_sets), "the guarded sets changed: rerun newsmon eval --save-scores"
    for name, articles in guarded_sets.items():
        now = evaluate(shipped, articles).summary()[metric]
        floor = saved["sets"][name][metric]
        assert now >= floor - TOLERANCE, f"{name}: {metric} {now:.3f} is below the committed {floor:.3f}"


def test_the_corpus_dev_split_is_guarded_and_the_test_split_is_not(guarded_sets):
    names = " ".join(guarded_sets)
    assert "corpus.jsonl (split dev)" in names and "split test" not in names


def test_a_stale_or_missing_model_is_a_one_line_error_saying_how_to_rebuild(taxonomy, tmp_path):
    newer = dataclasses.replace(taxonomy, version="2099.1")
    with pytest.raises(ModelError) as stale:
        load_tagger(newer)
    assert "newsmon train" in str(stale.value) and "\n" not in str(stale.value)
    assert "2099.1" in str(stale.value)
    with pytest.raises(ModelError, match="no tagger model at .*newsmon train"):
        load_tagger(taxonomy, tmp_path / "missing.npz")
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="cannot read the tagger model"):
        load_tagger(taxonomy, broken)


def test_newsmon_commands_report_a_stale_model_as_a_user_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NEWSMON_TAGGER_MODEL", str(tmp_path / "none.npz"))
    assert main(["eval", "--quiet"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("newsmon eval: no tagger model") and "newsmon train" in error and "\n" not in error


def test_training_is_deterministic(taxonomy, tmp_path):
    articles = read_devset(PROJECT_ROOT / "eval" / "devset")[::6]
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    train_model(taxonomy, articles[::2], articles[1::2], seed=0).save(first)
    train_model(taxonomy, articles[::2], articles[1::2], seed=0).save(second)
    assert first.read_bytes() == second.read_bytes()
    assert first.stat().st_size < 4 * 1024 * 1024


def test_every_tag_has_evidence_with_true_offsets_and_a_trace(shipped, guarded_sets):
    checked = 0
    for articles in guarded_sets.values():
        for article in articles[:150]:
            result = shipped.tag(article.title, article.text)
            assert result.trace and result.trace[0].startswith("model.relevance")
            for tag in result.topics:
                source = article.title if tag.evidence.field == "title" else article.text
                assert source[tag.evidence.start : tag.evidence.end] == tag.evidence.text
                assert tag.trace[0].startswith("model.sentence") and len(tag.trace) >= 2
                checked += 1
    assert checked > 100


def test_newsmon_tag_explain_shows_what_decided(capsys, monkeypatch):
    import io
    import sys

    article = {
        "id": "x",
        "title": "Russia to build Iranian drone plant",
        "text": "Russia and Iran signed a deal to build a factory for Shahed drones in Tatarstan.\n"
        "The drones will be supplied to the Russian army.",
    }
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((json.dumps(article) + "\n").encode())))
    assert main(["tag", "--explain"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["relevant"] and "defence" in {t["topic"] for t in row["topics"]}
    assert row["trace"]["relevance"][0].startswith("model.relevance")
    assert any(step.startswith("model.sentence") for step in row["trace"]["defence"])


def test_the_model_lives_beside_the_taxonomy(taxonomy):
    assert default_model_path(taxonomy) == PROJECT_ROOT / "config" / "tagger-model.npz"


def test_rules_only_tagger_still_tags_without_a_model(taxonomy):
    result = Tagger(taxonomy).tag("Talks", "Russia and Iran signed a gas supply deal with Gazprom.")
    assert result.relevant and {t.topic for t in result.topics} == {"energy"}
    assert result.trace == ("relation.cue_joins_actors",)
