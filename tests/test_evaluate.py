"""The evaluation: scores, error listing, labelled-file reading, the dev set's make-up, and `newsmon eval`."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from pipeline.cli import main
from pipeline.config import TOPIC_IDS, ConfigError
from pipeline.evaluate import Confusion, LabelledArticle, evaluate, format_report, read_devset, read_labelled
from pipeline.settings import PROJECT_ROOT

DEVSET = PROJECT_ROOT / "eval" / "devset"


def labelled(id_, text, relevant, topics=(), title=""):
    return LabelledArticle(id_, "en", title, text, relevant, frozenset(topics))


def test_counts_give_precision_recall_and_f1():
    counts = Confusion(tp=3, fp=1, fn=2)
    assert counts.precision == 0.75 and counts.recall == 0.6
    assert counts.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert Confusion().precision == Confusion().recall == 1.0  # nothing to find, nothing wrong
    assert Confusion(fp=2).f1 == 0.0


def test_evaluate_counts_relevance_and_topics_and_lists_errors(tagger):
    articles = [
        labelled("jets", "Russia will deliver Su-35 fighter jets to Iran.", True, {"defence"}),
        labelled("rail", "Russia will lend Iran money for the Rasht–Astara railway.", True, {"transport"}),
        labelled("oil", "Oil prices rose on Iran tensions and Russia sanctions.", False),
        labelled("miss", "Heavy snow fell in Tehran.", True, {"culture"}),
    ]
    report = evaluate(tagger, articles)
    assert (report.relevance.tp, report.relevance.fp, report.relevance.fn) == (2, 0, 1)
    assert report.topics["defence"].tp == 1
    assert report.topics["finance"].fp == 1  # the loan: labelled transport only on purpose
    assert report.topics["culture"].fn == 1
    assert report.micro.tp == 2 and report.micro.fp == 1 and report.micro.fn == 1
    text = format_report(report, "toy")
    assert "== toy (4 articles)" in text and "relevance" in text and "topics (micro)" in text
    assert "rail [en]" in text and "+ finance" in text and "Russia will lend Iran" in text
    assert "miss [en]" in text and "relevance: tagged False, labelled True" in text
    assert "jets [en]" not in text  # a correct article is not listed
    summary = report.summary()
    assert summary["articles"] == 4 and 0 < summary["topic_micro_f1"] < 1


def test_a_bad_labelled_line_is_reported_by_file_and_line(tmp_path):
    path = tmp_path / "set.jsonl"
    good = json.dumps({"id": "a", "lang": "en", "title": "", "text": "x", "relevant": False, "topics": []})
    path.write_text(good + "\n\n" + json.dumps({"id": "b", "text": "y", "relevant": True, "topics": ["war"]}) + "\n")
    with pytest.raises(ConfigError, match=r"set.jsonl:3: bad labelled article: unknown topic ids \['war'\]"):
        read_labelled(path)
    path.write_text("{not json\n")
    with pytest.raises(ConfigError, match=r"set.jsonl:1: bad labelled article"):
        read_labelled(path)
    with pytest.raises(ConfigError, match="no \\*.jsonl files"):
        read_devset(tmp_path / "empty")


def test_the_dev_set_has_the_size_and_mix_the_issue_asks_for():
    articles = read_devset(DEVSET)
    assert len(articles) >= 120 and len({a.id for a in articles}) == len(articles)
    assert {a.lang for a in articles} == {"en", "ru", "fa"}
    assert sum(not a.relevant for a in articles) >= 40
    per_topic = Counter(t for a in articles for t in a.topics)
    assert all(per_topic[t] >= 6 for t in TOPIC_IDS), per_topic
    assert all(not a.topics for a in articles if not a.relevant)
    assert all(a.notes for a in articles)


def test_newsmon_eval_prints_scores(capsys, tmp_path):
    assert main(["eval", "--quiet", "--lang", "fa"]) == 0
    out = capsys.readouterr().out
    assert "eval/devset" in out and "sample site manifest" in out and "topics (macro F1)" in out
    path = tmp_path / "one.jsonl"
    path.write_text(
        json.dumps(
            {
                "id": "a",
                "lang": "en",
                "title": "",
                "relevant": True,
                "topics": ["defence"],
                "text": "Russia will deliver Su-35 fighter jets to Iran.",
            }
        )
        + "\n"
    )
    assert main(["eval", str(path), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["sets"][str(path)]["relevance_f1"] == 1.0 and scores["taxonomy_version"]
